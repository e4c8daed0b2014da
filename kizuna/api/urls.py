"""The one NinjaAPI: auth, error mapping and the routers of every app, under /api/v1."""

import copy
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kizuna.api import openapi
from kizuna.api.auth import any_key, server_key
from kizuna.api.errors import (
    error_response,
    from_domain_error,
    from_validation_errors,
    log_unhandled,
    parsed_body,
)
from kizuna.api.jobs import jobs_router
from kizuna.api.parser import StrictJsonParser, Utf8JsonRenderer
from kizuna.core.api import audit_router
from kizuna.core.errors import KizunaError
from kizuna.customers.api import attributes_router, customers_router, events_router
from kizuna.feedback.api.evaluate import evaluate_router
from kizuna.feedback.api.followups import follow_up_rules_router, follow_ups_router
from kizuna.feedback.api.forms import forms_router
from kizuna.feedback.api.invitations import eligibility_router, invitations_router, settings_router
from kizuna.feedback.api.links import links_router
from kizuna.feedback.api.responses import BROWSER_OPERATIONS, responses_router
from kizuna.feedback.api.results import results_router
from kizuna.feedback.api.surveyjs import imports_router
from kizuna.feedback.api.surveys import surveys_router
from kizuna.feedback.api.themes import themes_router
from kizuna.insights.api import conditions_router, segments_router
from kizuna.loyalty.api import members_router, programs_router
from kizuna.orders.api import orders_router
from kizuna.referrals.api import (
    customer_referrals_router,
    referrals_router,
)
from kizuna.referrals.api import (
    programs_router as referral_programs_router,
)
from kizuna.rewards.api import (
    claims_router,
    customer_claims_router,
    rewards_router,
    wallet_router,
)
from kizuna.rewards.api.checkout import checkout_router
from kizuna.textanalytics.api import text_router
from kizuna.vouchers.api import campaigns_router, gift_cards_router, vouchers_router


class KizunaAPI(NinjaAPI):
    _documents: dict[str, Any]

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The generated document, with what the API layer adds (`kizuna.api.openapi`):
        generated once per process and set of arguments (its operations are fixed at start),
        since generating it takes about a second."""
        cache = self.__dict__.setdefault("_documents", {})
        key = repr(sorted(kwargs.items()))
        if key not in cache:
            cache[key] = openapi.complete(super().get_openapi_schema(**kwargs))
        return copy.deepcopy(cache[key])


api = KizunaAPI(
    title="Kizuna API",
    version="1",
    description=(
        "Loyalty and customer satisfaction, one customer profile. Authenticate with "
        "`Authorization: Bearer sk_...`. Every POST accepts an `Idempotency-Key` header. "
        "Calls are rate limited (429 with Retry-After); HEAD works wherever GET does."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # Served from our static files (ninja is an installed app); no badge from a validator
    # elsewhere, which the Content-Security-Policy would refuse anyway.
    docs=Swagger(settings={"validatorUrl": None}),
    parser=StrictJsonParser(),
    renderer=Utf8JsonRenderer(),
)


@api.exception_handler(KizunaError)
def _domain_error(request: HttpRequest, exc: KizunaError) -> HttpResponse:
    return from_domain_error(exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return from_validation_errors(list(exc.errors), parsed_body(request))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(413)


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, KizunaError):
        return from_domain_error(cause)
    return error_response(exc.status_code, message=str(exc) or None)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404)


@api.exception_handler(Exception)
def _unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
    log_unhandled(request, exc)
    return error_response(500)


# Server-key routers. An app's endpoints that a browser may call (portal, widget, survey
# responses) go on a separate router mounted with `auth=any_key`.
api.add_router("/v1/customers", customers_router, auth=server_key)
api.add_router("/v1/orders", orders_router, auth=server_key)
api.add_router("/v1/events", events_router, auth=server_key)
api.add_router("/v1/customer-attributes", attributes_router, auth=server_key)
api.add_router("/v1/programs", programs_router, auth=server_key)
api.add_router("/v1/customers", members_router, auth=server_key)
api.add_router("/v1/audit-log", audit_router, auth=server_key)
api.add_router("/v1/text", text_router, auth=server_key)
api.add_router("/v1/jobs", jobs_router, auth=server_key)
api.add_router("/v1/conditions", conditions_router, auth=server_key)
api.add_router("/v1/segments", segments_router, auth=server_key)
# POST /v1/surveys/import: mounted before surveys_router, whose /{survey_id} would take it.
api.add_router("/v1/surveys", imports_router, auth=server_key)
api.add_router("/v1/surveys", surveys_router, auth=server_key)
api.add_router("/v1/surveys", themes_router, auth=server_key)
# Survey logic is pure, so a browser may call it with a publishable key.
api.add_router("/v1/surveys", evaluate_router, auth=any_key)


# Feedback: displays, responses and their export. One router, since a path is served by one
# router; the operations a browser may call (recording a display, saving a response) take
# any key, the others (listing, export) a server key.


def _allow_any_key(router: Any, views: tuple[Any, ...]) -> None:
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if operation.view_func in views:
                operation.auth_param = any_key
                operation.auth_callbacks = [any_key]


_allow_any_key(responses_router, BROWSER_OPERATIONS)
api.add_router("/v1/surveys", responses_router, auth=server_key)
api.add_router("/v1/surveys", results_router, auth=server_key)

# Vouchers and gift cards: lookups of a code may come from a browser (publishable key).
api.add_router("/v1/voucher-campaigns", campaigns_router, auth=server_key)
api.add_router("/v1/vouchers", vouchers_router, auth=any_key)
api.add_router("/v1/gift-cards", gift_cards_router, auth=server_key)
# The checkout: validations, qualifications, redemptions and the stacking rules.
api.add_router("/v1", checkout_router, auth=server_key)

# Referrals: programs, attribution at sign-up, and each customer's code and referrals.
api.add_router("/v1/referral-programs", referral_programs_router, auth=server_key)
api.add_router("/v1/referrals", referrals_router, auth=server_key)
api.add_router("/v1/customers", customer_referrals_router, auth=server_key)

# Closing the loop: a survey's follow-up rules (and one response, the link of their emails),
# and the follow-ups they create.
api.add_router("/v1/surveys", follow_up_rules_router, auth=server_key)
api.add_router("/v1/follow-ups", follow_ups_router, auth=server_key)
# Survey distribution: links, invitations, fatigue, settings (server key); eligibility and a
# survey's form (any key: the widget asks them, ADR 0032).
api.add_router("/v1/surveys", links_router, auth=server_key)
api.add_router("/v1/surveys", invitations_router, auth=server_key)
api.add_router("/v1/surveys", eligibility_router, auth=any_key)
api.add_router("/v1/surveys", forms_router, auth=any_key)
api.add_router("/v1/survey-settings", settings_router, auth=server_key)
# The reward catalog, claims (points turned into rewards) and the customer's wallet.
api.add_router("/v1/rewards", rewards_router, auth=server_key)
api.add_router("/v1/customers", customer_claims_router, auth=server_key)
api.add_router("/v1/customers", wallet_router, auth=server_key)
api.add_router("/v1/claims", claims_router, auth=server_key)
