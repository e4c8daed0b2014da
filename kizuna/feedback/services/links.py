"""Survey links (docs/survey-distribution.md, "Links").

    public_link(survey)             the survey's one public link, created when first asked
    create_personal_links(...)      one new single-use link per customer
    resolve(token, moment)          the link behind a token: 404 link_not_found, 410
                                    link_expired, 409 link_used
    link_url(link)                  {KIZUNA_PUBLIC_URL}/s/{token}
    check_link / use_link           what saving a response does with its `link_token`

A personal link is used up when a response given through it becomes final: `use_link` sets
`used_at` and `response` by a conditional UPDATE (`used_at IS NULL`) in the transaction that
saves the response, so two submissions racing with one link finish one response, never two."""

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.models import Customer
from kizuna.feedback.errors import (
    CustomerMismatch,
    LinkExpired,
    LinkNotFound,
    LinkUsed,
    SurveyClosed,
)
from kizuna.feedback.models import LinkKind, Response, Survey, SurveyLink, SurveyStatus
from kizuna.feedback.services.displays import get_survey

MAX_LINKS = 1000  # customers per request


def new_token() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def link_url(link: SurveyLink) -> str:
    return f"{settings.KIZUNA_PUBLIC_URL}/s/{link.token}"


def public_link(survey: Survey) -> SurveyLink:
    """The survey's public link; the first call creates it (concurrent first calls agree)."""
    found = one_or_none(
        SurveyLink.objects.for_workspace(survey.workspace_id).filter(
            survey=survey, kind=LinkKind.PUBLIC
        )
    )
    if found is not None:
        return found
    fresh = SurveyLink(
        workspace_id=survey.workspace_id,
        token=new_token(),
        survey=survey,
        kind=LinkKind.PUBLIC,
        created_at=now(),
    )
    with transaction.atomic(savepoint=False):
        link, _ = insert_once(fresh, survey=survey, kind=LinkKind.PUBLIC)
    return link


def public_link_of(workspace: Workspace, survey_key: str) -> SurveyLink:
    survey = get_survey(workspace, survey_key)
    link = public_link(survey)
    link.survey = survey
    return link


def customers_named(workspace: Workspace, customer_ids: Sequence[str]) -> list[Customer]:
    """The customers named, in the order given, each once; 404 naming the first unknown."""
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        raise ValidationFailed("Name at least one customer.", code="required", field="customer_ids")
    if len(wanted) > MAX_LINKS:
        raise ValidationFailed(
            f"At most {MAX_LINKS} customers per request.", code="too_many", field="customer_ids"
        )
    found = {
        c.external_id: c
        for c in Customer.objects.for_workspace(workspace).filter(external_id__in=wanted)
    }
    for index, external_id in enumerate(customer_ids):
        if external_id not in found:
            raise CustomerNotFound(f"No customer {external_id!r}.", field=f"customer_ids.{index}")
    return [found[external_id] for external_id in wanted]


def personal_links_for(
    survey: Survey, customers: Sequence[Customer], expires_at: datetime | None, moment: datetime
) -> list[SurveyLink]:
    """New personal links of `survey` for `customers` (one INSERT)."""
    links = [
        SurveyLink(
            workspace_id=survey.workspace_id,
            token=new_token(),
            survey=survey,
            kind=LinkKind.PERSONAL,
            customer=customer,
            expires_at=expires_at,
            created_at=moment,
        )
        for customer in customers
    ]
    SurveyLink.objects.bulk_create(links)
    return links


def create_personal_links(
    workspace: Workspace,
    survey_key: str,
    customer_ids: Sequence[str],
    expires_at: datetime | None = None,
) -> list[SurveyLink]:
    """One new single-use link per customer named (a customer named twice gets one). A
    closed survey takes no more links (409 survey_closed); an `expires_at` in the past is 422."""
    moment = now()
    if expires_at is not None and expires_at <= moment:
        raise ValidationFailed(
            "expires_at must be in the future.", code="in_the_past", field="expires_at"
        )
    survey = get_survey(workspace, survey_key)
    if survey.effective_status(moment) == SurveyStatus.CLOSED:
        raise SurveyClosed(
            f"Survey {survey.key!r} is closed; it takes no more responses.", field="survey_id"
        )
    customers = customers_named(workspace, customer_ids)
    with transaction.atomic(savepoint=False):
        return personal_links_for(survey, customers, expires_at, moment)


def _check_usable(link: SurveyLink, moment: datetime, field: str | None) -> None:
    if link.expires_at is not None and link.expires_at <= moment:
        raise LinkExpired("This link has expired.", field=field)
    if link.used_at is not None:
        raise LinkUsed("This link has been answered already.", field=field)


def resolve(token: str, moment: datetime) -> SurveyLink:
    """The link of `token` (any workspace) with its survey and customer: 404 link_not_found,
    410 link_expired, 409 link_used (a personal link whose response is final)."""
    link = one_or_none(
        SurveyLink.objects.select_related("survey", "customer", "workspace").filter(token=token)
    )
    if link is None:
        raise LinkNotFound("No such link.", field="token")
    _check_usable(link, moment, "token")
    return link


def check_link(
    survey: Survey, token: str, response: Response, customer: Customer | None, moment: datetime
) -> SurveyLink:
    """The link a response is saved through (`link_token`): of this survey (else 404), not
    expired (410), not used by another response (409); a personal link's response is its
    customer's (another `customer_id` is 422 customer_mismatch)."""
    field = "link_token"
    link = one_or_none(
        SurveyLink.objects.for_workspace(survey.workspace_id)
        .select_related("customer")
        .filter(token=token, survey=survey)
    )
    if link is None:
        raise LinkNotFound("No such link to this survey.", field=field)
    if link.expires_at is not None and link.expires_at <= moment:
        raise LinkExpired("This link has expired.", field=field)
    if link.used_at is not None and link.response_id != response.pk:
        raise LinkUsed("This link has been answered already.", field=field)
    if link.kind == LinkKind.PERSONAL and customer is not None and customer.pk != link.customer_id:
        raise CustomerMismatch("A personal link's response is its customer's.", field="customer_id")
    return link


def use_link(link: SurveyLink, response: Response, moment: datetime) -> None:
    """Mark a personal link used by its final `response`; 409 link_used when another
    response took it first (the caller's transaction then rolls back)."""
    if link.kind != LinkKind.PERSONAL:
        return
    taken = (
        SurveyLink.objects.for_workspace(link.workspace_id)
        .filter(pk=link.pk, used_at__isnull=True)
        .update(used_at=moment, response=response)
    )
    if taken != 1:
        raise LinkUsed("This link has been answered already.", field="link_token")
    link.used_at, link.response = moment, response
    from kizuna.feedback.services.invitations import answered  # invitations import links

    answered(link.pk, response, moment)
