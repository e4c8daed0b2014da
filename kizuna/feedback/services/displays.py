"""Displays: one showing of a survey (a hosted page opened, a widget shown, an email's link
followed), recorded so that starts, completion and drop-off can be counted from them.

Only an active survey is shown: a closed one (closed, or past its schedule's end) is 409
`survey_closed`; a draft, a scheduled survey before its start and a paused one are 409
`survey_not_active` (`details[0].status` says which). Responses follow the same rule
(`check_answerable`)."""

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction

from kizuna.core.clock import now
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.models import Customer
from kizuna.feedback.errors import SurveyClosed, SurveyNotActive, SurveyNotFound
from kizuna.feedback.models import ContactKind, Display, Survey, SurveyStatus
from kizuna.feedback.services import fatigue
from kizuna.feedback.services.submissions import check_browser_token, check_channel


def new_key(prefix: str) -> str:
    """An id for a high-volume object (displays, responses): 96 random bits, so that ids
    never collide however many there are."""
    return f"{prefix}-{secrets.token_hex(12)}"


def get_survey(workspace: Workspace, key: str) -> Survey:
    survey = one_or_none(Survey.objects.for_workspace(workspace).filter(key=key))
    if survey is None:
        raise SurveyNotFound(f"No survey {key!r}.", field="survey_id")
    return survey


def check_answerable(survey: Survey, moment: datetime) -> None:
    """409 unless the survey is active now."""
    status = survey.effective_status(moment)
    if status == SurveyStatus.CLOSED:
        raise SurveyClosed(
            f"Survey {survey.key!r} is closed; it takes no more responses.", field="survey_id"
        )
    if status != SurveyStatus.ACTIVE:
        raise SurveyNotActive(
            f"Survey {survey.key!r} is {status}; only an active survey is shown and answered.",
            field="survey_id",
            details=[{"status": status}],
        )


def customer_by_external_id(workspace: Workspace, external_id: str | None) -> Customer | None:
    if external_id is None:
        return None
    customer = one_or_none(
        Customer.objects.for_workspace(workspace).filter(external_id=external_id)
    )
    if customer is None:
        raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
    return customer


def record_display(
    workspace: Workspace, survey_key: str, data: dict[str, Any], *, throttle: bool = True
) -> Display:
    """Record that the survey was shown, on `channel`, to `customer_id` (else the browser of
    `browser_token`) if known: a contact for the fatigue rules. On a channel where the survey
    comes unasked (widget, in_app, api) a customer or browser the rules refuse is not shown
    it: the drop is counted and `fatigue.ContactThrottled` raised, nothing else written.
    `throttle=False` records it whatever the rules say (a replay of displays that happened)."""
    channel = check_channel(data.get("channel"), "channel")
    token = check_browser_token(data.get("browser_token"))
    moment = now()
    survey = get_survey(workspace, survey_key)
    check_answerable(survey, moment)
    customer = customer_by_external_id(workspace, data.get("customer_id"))
    customer_pk = customer.pk if customer is not None else None
    if throttle and channel in fatigue.PUSH_CHANNELS:
        reason = fatigue.refusal(survey, customer_pk, token, moment)
        if reason is not None:
            fatigue.count_dropped(survey, ContactKind.DISPLAY, channel, reason, moment)
            raise fatigue.ContactThrottled(reason)
    with transaction.atomic(savepoint=False):
        display = Display.objects.create(
            workspace=workspace,
            key=new_key("display"),
            survey=survey,
            version=survey.version,
            customer=customer,
            channel=channel,
            created_at=moment,
        )
        fatigue.record_contacts(
            survey,
            ContactKind.DISPLAY,
            channel,
            moment,
            customer_pks=[customer_pk] if customer_pk is not None else [],
            browser_token=token,
        )
        return display
