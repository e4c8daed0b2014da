"""What every hosted page shares: the branding, the strict Content-Security-Policy (the
logo's origin allowed as an image source), the friendly pages of a link that cannot be
answered."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP

from kizuna.core.errors import KizunaError
from kizuna.portal.branding import Branding, branding_of
from kizuna.portal.texts import page_texts

# Error codes of kizuna.feedback (and of its links) shown as a page of their own.
PROBLEMS = {
    "survey_closed": "closed",
    "survey_not_active": "not_active",
    "quota_full": "quota_full",
    "link_used": "link_used",
    "response_finished": "answered",
    "already_responded": "answered",
    "link_expired": "link_expired",
    "link_not_found": "not_found",
    "survey_not_found": "not_found",
    "unsubscribe_not_found": "unsubscribe_not_found",
}


def policy(branding: Branding | None) -> dict[str, Any]:
    base: dict[str, Any] = settings.SECURE_CSP
    config: dict[str, Any] = {key: list(value) for key, value in base.items()}
    if branding is not None and branding.logo_origin:
        config["img-src"] = [*config.get("img-src", [CSP.SELF]), branding.logo_origin]
    return config


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    branding: Branding | None,
    status: int = 200,
) -> HttpResponse:
    texts = page_texts(language)
    response = render(
        request,
        template,
        {"lang": language, "brand": branding, "t": texts, **context},
        status=status,
    )
    response._csp_config = policy(branding)  # type: ignore[attr-defined]
    response["Cache-Control"] = "no-store"
    return response


def problem_page(
    request: HttpRequest,
    error: KizunaError,
    *,
    language: str,
    workspace: Any = None,
) -> HttpResponse:
    problem = PROBLEMS.get(error.code, "not_found")
    texts = page_texts(language)
    branding = branding_of(workspace) if workspace is not None else None
    return page(
        request,
        "portal/problem.html",
        {"title": texts[f"{problem}.title"], "text": texts[f"{problem}.text"], "code": error.code},
        language=language,
        branding=branding,
        status=error.status,
    )
