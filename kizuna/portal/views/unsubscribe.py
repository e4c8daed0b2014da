"""`/u/{token}`: unsubscribing from survey emails. GET shows what will happen and a button;
POST withdraws the customer's `surveys` consent (kizuna.feedback.services.invitations.
unsubscribe: idempotent). A mail client's one-click unsubscribe (RFC 8058: a POST with
`List-Unsubscribe=One-Click`, no cookies, no CSRF token) is the same POST: the token in the
URL is the secret, so the view is exempt from CSRF."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kizuna.core.errors import KizunaError
from kizuna.core.models import one_or_none
from kizuna.feedback.models import Invitation
from kizuna.feedback.services import invitations
from kizuna.portal.branding import branding_of
from kizuna.portal.languages import asked, served_language
from kizuna.portal.views.pages import page, problem_page


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = one_or_none(
        Invitation.objects.select_related("workspace", "survey", "customer").filter(
            unsubscribe_token=token
        )
    )
    if invitation is None:
        fallback = asked(request) or request.headers.get("Accept-Language", "en")[:2] or "en"
        error = invitations.UnsubscribeNotFound("No such unsubscribe link.", field="token")
        return problem_page(request, error, language=fallback)
    language = served_language(
        invitation.survey, request, chosen=asked(request), locale=invitation.customer.locale
    )
    done = False
    if request.method == "POST":
        try:
            invitations.unsubscribe(token)
        except KizunaError as error:  # pragma: no cover (the invitation was just read)
            return problem_page(request, error, language=language)
        done = True
    return page(
        request,
        "portal/unsubscribe.html",
        {"done": done, "workspace": invitation.workspace, "languages": []},
        language=language,
        branding=branding_of(invitation.workspace),
    )
