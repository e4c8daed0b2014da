"""Survey fatigue, kept on the server so that it holds across devices and channels
(docs/survey-distribution.md, "Fatigue"; ADR 0030).

A customer (or an anonymous browser, by its `browser_token`) is *contacted* by a survey when
it is displayed to them or an invitation to it is sent; they have *answered* it when one of
their responses to it is final. Two rules decide whether they may be contacted now:

- the survey's `recontact` policy: `{"policy": "once"}` (never again after a first contact),
  `{"policy": "until_answered", "days": N}` (again, N days after the last contact, until they
  answer), `{"policy": "every", "days": N}` (again N days after the last contact; the older
  form `{"days": N}` means the same); null: no rule of its own;
- the workspace's cooldown (`cooldown_days`, 0 for none): no survey contacts a customer
  within that many days of a contact by another survey (by any survey, this one included,
  when the survey has no `recontact` policy).

Whom the rules refuse is dropped and counted (`FatigueCount`), never an error."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max

from kizuna.core.errors import ValidationFailed, refuse_nulls
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.feedback.models import (
    Contact,
    FatigueCount,
    FeedbackSettings,
    Response,
    ResponseStatus,
    Survey,
)

POLICIES = ("once", "until_answered", "every")
MAX_DAYS = 3650
# Channels on which a survey comes to the customer unasked: fatigue may refuse a display
# there. On the others (link, email, qr, sms) the customer followed a link: never refused.
PUSH_CHANNELS = frozenset({"widget", "in_app", "api"})
FINAL = (ResponseStatus.COMPLETED, ResponseStatus.SCREENED_OUT)
ANSWERED, RECONTACT, COOLDOWN = "answered", "recontact", "cooldown"


class ContactThrottled(Exception):
    """The fatigue rules drop this contact (counted already); `reason` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Recontact:
    policy: str | None  # None: no rule of the survey's own
    days: int = 0


def recontact_of(survey: Survey) -> Recontact:
    value = survey.recontact
    if not isinstance(value, dict):
        return Recontact(None)
    return Recontact(str(value.get("policy", "every")), int(value.get("days") or 0))


def check_recontact(value: Any) -> dict[str, Any] | None:
    """A survey's `recontact` setting, checked: null, `{"days": N}`, or `{"policy", "days"?}`
    (422 invalid_recontact, field `recontact`)."""
    if value is None:
        return None
    fault = ValidationFailed(
        f'recontact is {{"policy": "once" | "until_answered" | "every", "days": 0 to '
        f'{MAX_DAYS}}} ("every" needs days; "once" takes none), or {{"days": N}} for every N '
        "days; null for the workspace's cooldown alone.",
        code="invalid_recontact",
        field="recontact",
    )
    if not isinstance(value, Mapping) or not set(value) <= {"policy", "days"} or not value:
        raise fault
    days = value.get("days")
    if "days" in value and (
        isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS
    ):
        raise fault
    if "policy" not in value:
        return {"days": days}
    policy = value["policy"]
    if policy not in POLICIES or (policy == "once" and "days" in value):
        raise fault
    if policy == "every" and "days" not in value:
        raise fault
    return {"policy": policy, "days": days} if "days" in value else {"policy": policy}


# ---------------------------------------------------------------- workspace settings


def cooldown_days(workspace: Workspace | int) -> int:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    row = one_or_none(
        FeedbackSettings.objects.filter(workspace_id=workspace_id).values_list(
            "cooldown_days", flat=True
        )
    )
    return int(row) if row is not None else 0


def get_settings(workspace: Workspace) -> dict[str, Any]:
    return {"cooldown_days": cooldown_days(workspace)}


def update_settings(
    workspace: Workspace, data: Mapping[str, Any], moment: datetime
) -> dict[str, Any]:
    refuse_nulls(data, ("cooldown_days",))
    if "cooldown_days" in data:
        days = data["cooldown_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise ValidationFailed(
                f"cooldown_days is 0 to {MAX_DAYS}.", code="out_of_range", field="cooldown_days"
            )
        with transaction.atomic(savepoint=False):
            rows = FeedbackSettings.objects.filter(workspace=workspace)
            if not rows.update(cooldown_days=days, updated_at=moment):
                fresh = FeedbackSettings(workspace=workspace, cooldown_days=days, updated_at=moment)
                _, created = insert_once(fresh, workspace=workspace)
                if not created:  # a concurrent first change inserted it
                    rows.update(cooldown_days=days, updated_at=moment)
        return {"cooldown_days": days}
    return get_settings(workspace)


# ---------------------------------------------------------------- the rules


def refusals(
    survey: Survey, who: str, ids: Iterable[Any], moment: datetime, *, cooldown: int | None = None
) -> dict[Any, str]:
    """Why each of `ids` may not be contacted by `survey` now (those that may are absent).
    `who` is the column they name: `customer_id` or `browser_token`. A few queries, however
    many ids."""
    ids = [i for i in ids if i]
    if not ids:
        return {}
    rule = recontact_of(survey)
    scoped = {f"{who}__in": ids}
    reasons: dict[Any, str] = {}
    if rule.policy in ("once", "until_answered"):
        answered = (
            Response.objects.for_workspace(survey.workspace_id)
            .filter(survey=survey, status__in=FINAL, **scoped)
            .values_list(who, flat=True)
            .distinct()
        )
        reasons.update(dict.fromkeys(answered, ANSWERED))
    if rule.policy is not None:
        last = dict(
            Contact.objects.for_workspace(survey.workspace_id)
            .filter(survey=survey, **scoped)
            .values(who)
            .annotate(last=Max("created_at"))
            .values_list(who, "last")
        )
        for key, at in last.items():
            if key in reasons:
                continue
            if rule.policy == "once" or (rule.days and at > moment - timedelta(days=rule.days)):
                reasons[key] = RECONTACT
    days = cooldown_days(survey.workspace_id) if cooldown is None else cooldown
    left = [i for i in ids if i not in reasons]
    if days and left:
        recent = Contact.objects.for_workspace(survey.workspace_id).filter(
            created_at__gt=moment - timedelta(days=days), **{f"{who}__in": left}
        )
        if rule.policy is not None:
            # A survey with a policy of its own leaves its own contacts to that policy.
            recent = recent.exclude(survey=survey)
        reasons.update(dict.fromkeys(recent.values_list(who, flat=True).distinct(), COOLDOWN))
    return reasons


def refusal(
    survey: Survey, customer_pk: int | None, browser_token: str, moment: datetime
) -> str | None:
    """Why this customer (else this browser) may not be contacted now, or None."""
    if customer_pk is not None:
        return refusals(survey, "customer_id", [customer_pk], moment).get(customer_pk)
    if browser_token:
        return refusals(survey, "browser_token", [browser_token], moment).get(browser_token)
    return None


def record_contacts(
    survey: Survey,
    kind: str,
    channel: str,
    moment: datetime,
    *,
    customer_pks: Iterable[int] = (),
    browser_token: str = "",
) -> None:
    rows = [
        Contact(
            workspace_id=survey.workspace_id,
            survey=survey,
            customer_id=pk,
            kind=kind,
            channel=channel,
            created_at=moment,
        )
        for pk in customer_pks
    ]
    if browser_token and not rows:
        rows = [
            Contact(
                workspace_id=survey.workspace_id,
                survey=survey,
                browser_token=browser_token,
                kind=kind,
                channel=channel,
                created_at=moment,
            )
        ]
    Contact.objects.bulk_create(rows)


def count_dropped(
    survey: Survey, kind: str, channel: str, reason: str, moment: datetime, n: int = 1
) -> None:
    """Add `n` to the day's count of contacts dropped (a concurrent first count of the day
    is met by the unique constraint: the row is inserted once, then moved by UPDATE)."""
    key = {
        "survey": survey,
        "channel": channel,
        "kind": kind,
        "reason": reason,
        "day": moment.date(),
    }
    counts = FatigueCount.objects.for_workspace(survey.workspace_id)
    if counts.filter(**key).update(count=F("count") + n):
        return
    fresh = FatigueCount(workspace_id=survey.workspace_id, count=n, **key)
    _, created = insert_once(fresh, **key)
    if not created:
        counts.filter(**key).update(count=F("count") + n)


def dropped(
    workspace: Workspace, survey: Survey, since: Any = None, until: Any = None
) -> list[FatigueCount]:
    rows = FatigueCount.objects.for_workspace(workspace).filter(survey=survey)
    if since is not None:
        rows = rows.filter(day__gte=since)
    if until is not None:
        rows = rows.filter(day__lte=until)
    return list(rows.order_by("-day", "kind", "channel", "reason")[:1000])
