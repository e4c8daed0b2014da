"""Email invitations to a survey, their one reminder, and unsubscription
(docs/survey-distribution.md, "Invitations"; ADR 0030).

    queue_invitations(...)   202: sort the customers named (or a segment's) into queued,
                             throttled, no_email and no_consent; write the queued ones with
                             their personal links; send them in the background
    send_waiting(...)        the task's and the job's work: claim waiting invitations in
                             batches and email them
    send_reminders(...)      the job's: claim due reminders (once each) and email them
    unsubscribe(token)       withdraw the customer's `surveys` consent (idempotent)

Only customers whose `surveys` consent is *granted* are emailed (opt-in; ADR 0030). An
invitation is claimed (queued or failed -> sending, by a conditional UPDATE committed before
the email goes out) and its outcome stored after: two runs never send one invitation twice.
A refused send is `failed` and claimed again by a later run, up to MAX_ATTEMPTS sends; a run
killed while sending leaves it `sending`, never sent again (at most once)."""

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Consent, ConsentStatus, Customer
from kizuna.customers.services.consents import apply_consents, check_consents
from kizuna.feedback.errors import UnsubscribeNotFound
from kizuna.feedback.logic.languages import negotiate
from kizuna.feedback.models import (
    ContactKind,
    Invitation,
    InvitationStatus,
    Response,
    Survey,
)
from kizuna.feedback.results import filters as result_filters
from kizuna.feedback.services import fatigue, links
from kizuna.feedback.services.displays import check_answerable, get_survey, new_key
from kizuna.feedback.services.invitation_emails import Letter, message

logger = logging.getLogger(__name__)

CHANNEL = "email"
CONSENT_CHANNEL = "surveys"
UNSUBSCRIBE_SOURCE = "unsubscribe_link"
MAX_ATTEMPTS = 3
BATCH_SIZE = 100
MAX_SEGMENT = 50_000  # customers of a segment invited by one request
LINK_DAYS = 30  # an invitation's personal link works this long
MAX_REMIND_DAYS = 60
FINAL = fatigue.FINAL


@dataclass(frozen=True)
class Queued:
    batch: str
    queued: int
    throttled: int
    no_email: int
    no_consent: int


def _remind_days(value: Any) -> int:
    if value is None:
        return 3
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_REMIND_DAYS:
        raise ValidationFailed(
            f"remind_after_days is 0 (no reminder) to {MAX_REMIND_DAYS}.",
            code="out_of_range",
            field="remind_after_days",
        )
    return value


def _audience(workspace: Workspace, data: dict[str, Any]) -> list[Customer]:
    ids, segment = data.get("customer_ids"), data.get("segment")
    if (ids is None) == (segment is None):
        raise ValidationFailed(
            "Name the customers (customer_ids) or a segment, one of the two.",
            code="required",
            field="customer_ids",
        )
    if ids is not None:
        return links.customers_named(workspace, ids)
    members = result_filters.customers(workspace, segment=str(segment), condition=None)
    if members is None:
        raise ValidationFailed("Name a segment.", code="required", field="segment")
    return list(
        Customer.objects.for_workspace(workspace)
        .filter(pk__in=members, erased_at__isnull=True)
        .order_by("pk")[:MAX_SEGMENT]
    )


def _consenting(workspace: Workspace, pks: Sequence[int]) -> set[int]:
    return set(
        Consent.objects.for_workspace(workspace)
        .filter(customer_id__in=pks, channel=CONSENT_CHANNEL, status=ConsentStatus.GRANTED)
        .values_list("customer_id", flat=True)
    )


def queue_invitations(workspace: Workspace, survey_key: str, data: dict[str, Any]) -> Queued:
    moment = now()
    remind_days = _remind_days(data.get("remind_after_days"))
    survey = get_survey(workspace, survey_key)
    check_answerable(survey, moment)
    survey.workspace = workspace
    customers = _audience(workspace, data)
    with_email = [c for c in customers if c.email and c.erased_at is None]
    consenting = _consenting(workspace, [c.pk for c in with_email])
    allowed = [c for c in with_email if c.pk in consenting]
    refused = fatigue.refusals(survey, "customer_id", [c.pk for c in allowed], moment)
    sending = [c for c in allowed if c.pk not in refused]
    batch = new_key("invitations")
    expires = moment + timedelta(days=LINK_DAYS)
    with transaction.atomic(savepoint=False):
        made = links.personal_links_for(survey, sending, expires, moment)
        rows = [
            _invitation(survey, batch, customer, moment, remind_days, link=link)
            for customer, link in zip(sending, made, strict=True)
        ]
        rows += [
            _invitation(survey, batch, c, moment, remind_days, reason=refused[c.pk])
            for c in allowed
            if c.pk in refused
        ]
        Invitation.objects.bulk_create(rows)
        for reason in sorted(set(refused.values())):
            n = sum(1 for r in refused.values() if r == reason)
            fatigue.count_dropped(survey, ContactKind.INVITATION, CHANNEL, reason, moment, n)
        if sending:
            _enqueue_after_commit(batch)
    return Queued(
        batch,
        queued=len(sending),
        throttled=len(refused),
        no_email=len(customers) - len(with_email),
        no_consent=len(with_email) - len(allowed),
    )


def _invitation(
    survey: Survey,
    batch: str,
    customer: Customer,
    moment: datetime,
    remind_days: int,
    *,
    link: Any = None,
    reason: str = "",
) -> Invitation:
    return Invitation(
        workspace_id=survey.workspace_id,
        survey=survey,
        customer=customer,
        batch=batch,
        link=link,
        status=InvitationStatus.THROTTLED if reason else InvitationStatus.QUEUED,
        reason=reason,
        language=negotiate([customer.locale], survey.languages, survey.default_language),
        unsubscribe_token=secrets.token_urlsafe(16),
        remind_after_days=remind_days,
        created_at=moment,
    )


def _enqueue_after_commit(batch: str) -> None:
    """Send the batch in the background once the request commits; the job sends what a lost
    task left."""

    def enqueue() -> None:
        from kizuna.feedback.tasks import send_invitations

        try:
            send_invitations.enqueue(batch)
        except Exception:
            logger.exception("Could not enqueue the invitations %s", batch)

    transaction.on_commit(enqueue)


# ---------------------------------------------------------------- sending


def _claim(candidates: Q, claimable: Q, changes: dict[str, Any], limit: int) -> list[Invitation]:
    """Claim up to `limit` invitations: pick them, then move them by a conditional UPDATE
    that a concurrent run's claim makes fail (committed before any email goes out)."""
    token = secrets.token_hex(16)
    with transaction.atomic():
        pks = list(
            Invitation.objects.filter(candidates & claimable)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not pks:
            return []
        Invitation.objects.filter(claimable, pk__in=pks).update(claim=token, **changes)
    return list(
        Invitation.objects.filter(claim=token).select_related(
            "customer", "survey", "link", "workspace"
        )
    )


def _letter(invitation: Invitation, reminder: bool) -> Letter:
    customer = invitation.customer
    assert invitation.link is not None
    return Letter(
        to=customer.email,
        name=" ".join(p for p in (customer.first_name, customer.last_name) if p),
        workspace=invitation.workspace.name,
        language=invitation.language or invitation.survey.default_language,
        link_url=links.link_url(invitation.link),
        unsubscribe_token=invitation.unsubscribe_token,
        reminder=reminder,
    )


def _deliverable(invitation: Invitation) -> str:
    """Why the invitation may no longer be sent ("" when it may)."""
    customer = invitation.customer
    if not customer.email or customer.erased_at is not None:
        return "no_email"
    if customer.pk not in _consenting(invitation.workspace, [customer.pk]):
        return "no_consent"
    return ""


def send_waiting(batch: str | None = None, limit: int = 1000) -> tuple[int, int]:
    """Email the waiting invitations (of one batch, or all), BATCH_SIZE at a time, at most
    `limit`. Returns (sent, failed)."""
    sent = failed = 0
    candidates = Q(batch=batch) if batch is not None else Q()
    # A send refused in this run waits for the next one.
    claimable = Q(status=InvitationStatus.QUEUED) | Q(
        status=InvitationStatus.FAILED, attempts__lt=MAX_ATTEMPTS, claimed_at__lt=now()
    )
    while sent + failed < limit:
        moment = now()
        changes = {
            "status": InvitationStatus.SENDING,
            "claimed_at": moment,
            "attempts": F("attempts") + 1,
        }
        claimed = _claim(candidates, claimable, changes, min(BATCH_SIZE, limit - sent - failed))
        if not claimed:
            break
        for invitation in claimed:
            ok = _send_one(invitation)
            sent, failed = sent + ok, failed + (not ok)
    return sent, failed


def _send_one(invitation: Invitation) -> bool:
    mine = Invitation.objects.filter(pk=invitation.pk, claim=invitation.claim)
    skipped = _deliverable(invitation)
    if skipped:
        mine.update(status=InvitationStatus.SKIPPED, reason=skipped, claim="")
        return True
    try:
        message(_letter(invitation, reminder=False)).send()
    except Exception as exc:  # the SMTP server refused it, or could not be reached
        logger.warning("Invitation %s not sent: %s", invitation.pk, exc)
        mine.update(status=InvitationStatus.FAILED, last_error=str(exc)[:500], claim="")
        return False
    moment = now()
    days = invitation.remind_after_days
    with transaction.atomic():
        mine.update(
            status=InvitationStatus.SENT,
            sent_at=moment,
            remind_at=moment + timedelta(days=days) if days else None,
            last_error="",
            claim="",
        )
        fatigue.record_contacts(
            invitation.survey,
            ContactKind.INVITATION,
            CHANNEL,
            moment,
            customer_pks=[invitation.customer_id],
        )
    return True


def send_reminders(limit: int = 1000) -> tuple[int, int]:
    """Email the due reminders, each claimed once (`reminded_at` set by a conditional
    UPDATE): to invitations sent, not answered (by the link, or by any final response of the
    customer to the survey), whose customer still consents. Returns (sent, failed); a
    refused reminder is released for a later run, up to MAX_ATTEMPTS."""
    sent = failed = 0
    answered = Response.objects.filter(
        survey=OuterRef("survey"), customer=OuterRef("customer"), status__in=FINAL
    )
    while sent + failed < limit:
        moment = now()
        due = Q(
            status=InvitationStatus.SENT,
            remind_at__lte=moment,
            response__isnull=True,
            unsubscribed_at__isnull=True,
            reminder_attempts__lt=MAX_ATTEMPTS,
        ) & ~Q(Exists(answered))
        claimed = _claim(
            due,
            Q(reminded_at__isnull=True),
            {"reminded_at": moment},
            min(BATCH_SIZE, limit - sent - failed),
        )
        if not claimed:
            break
        for invitation in claimed:
            mine = Invitation.objects.filter(pk=invitation.pk, claim=invitation.claim)
            if _deliverable(invitation):
                mine.update(reminder_attempts=MAX_ATTEMPTS, claim="")
                continue
            try:
                message(_letter(invitation, reminder=True)).send()
            except Exception as exc:
                logger.warning("Reminder %s not sent: %s", invitation.pk, exc)
                mine.update(
                    reminded_at=None,
                    reminder_attempts=F("reminder_attempts") + 1,
                    last_error=str(exc)[:500],
                    claim="",
                )
                failed += 1
                continue
            mine.update(claim="")
            sent += 1
    return sent, failed


def answered(link_pk: int, response: Response, moment: datetime) -> None:
    """The invitation of a personal link whose response became final is answered."""
    Invitation.objects.for_workspace(response.workspace_id).filter(link_id=link_pk).update(
        response=response, answered_at=moment
    )


# ---------------------------------------------------------------- unsubscribing


@dataclass(frozen=True)
class Unsubscribed:
    workspace: Workspace
    survey: Survey
    customer: Customer
    changed: bool  # False when the consent was withdrawn already


def unsubscribe(token: str) -> Unsubscribed:
    """Withdraw the `surveys` consent of the customer an invitation went to (recorded with
    the source `unsubscribe_link`); again is harmless. 404 unsubscribe_not_found."""
    invitation = one_or_none(
        Invitation.objects.select_related("workspace", "survey", "customer").filter(
            unsubscribe_token=token
        )
    )
    if invitation is None:
        raise UnsubscribeNotFound("No such unsubscribe link.", field="token")
    moment = now()
    customer = invitation.customer
    customer.workspace = invitation.workspace
    with transaction.atomic(savepoint=False):
        wanted = check_consents(
            {CONSENT_CHANNEL: {"status": ConsentStatus.DENIED, "updated_at": moment}}
        )
        changed = apply_consents(customer, wanted, UNSUBSCRIBE_SOURCE)
        Invitation.objects.filter(pk=invitation.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=moment
        )
    return Unsubscribed(invitation.workspace, invitation.survey, customer, bool(changed))


# ---------------------------------------------------------------- erasure


def erase_distribution(customer: Customer, erased_at: datetime) -> None:
    """An erased customer's unused personal links stop working (an old email no longer ties
    new answers to the erased row), the SMTP errors (which may quote the address) go, and
    invitations not yet sent never will be."""
    from kizuna.feedback.models import LinkKind, SurveyLink

    SurveyLink.objects.filter(
        customer=customer, kind=LinkKind.PERSONAL, used_at__isnull=True
    ).update(expires_at=erased_at)
    waiting = Q(status__in=(InvitationStatus.QUEUED, InvitationStatus.FAILED))
    Invitation.objects.filter(customer=customer).update(
        last_error="",
        status=Case(When(waiting, then=Value(InvitationStatus.SKIPPED)), default=F("status")),
        reason=Case(When(waiting, then=Value("no_email")), default=F("reason")),
    )


def register() -> None:
    from kizuna.customers.services import erasure

    erasure.register_scrubber(erase_distribution)
