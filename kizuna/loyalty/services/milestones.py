"""Milestones and badges: goals a member reaches by counts ("5 orders in 30 days") or streaks
("an order in each of 4 consecutive weeks"), awarded once or again each time the goal is met
anew (`repeat: per_period`), with points and a badge.

Each fact that satisfies a milestone's trigger and condition is recorded once (a hit); the
goal is then checked against the hits since the last award."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core import conditions as c
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.conditions.types import parse_duration
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace
from kizuna.core.upsert import insert_new, insert_once
from kizuna.loyalty import events
from kizuna.loyalty.errors import MilestoneExists
from kizuna.loyalty.models import (
    Account,
    EntryType,
    Milestone,
    MilestoneAward,
    MilestoneHit,
    Program,
)
from kizuna.loyalty.services import ledger, policies, setup
from kizuna.loyalty.services.ledger import Source
from kizuna.loyalty.services.periods import period_key, period_start, previous_start
from kizuna.loyalty.services.programs import check_name, get_program
from kizuna.loyalty.services.rules import SUBJECTS, _points, check_condition, check_trigger

MILESTONE_FIELDS = ("name", "goal", "points", "badge", "repeat")
STREAK_PERIODS = ("day", "week", "month")


def _bad(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_milestone", field=field)


def _as_milestone_fault(error: ValidationFailed, prefix: str = "") -> ValidationFailed:
    """A fault found by a check shared with rules, named as the milestone's own."""
    return _bad(error.message, f"{prefix}{error.field}" if error.field else prefix or "goal")


def check_goal(value: Any, workspace: Workspace, program: Program) -> dict[str, Any]:
    if not isinstance(value, Mapping) or value.get("type") not in ("count", "streak"):
        raise _bad("The goal type is count or streak.", "goal.type")
    try:
        trigger = check_trigger(value.get("trigger"), program)
    except ValidationFailed as error:
        raise _as_milestone_fault(error, "goal.") from error
    if trigger["type"] not in ("order_paid", "event"):
        raise _bad("A milestone counts orders or events.", "goal.trigger.type")
    target = value.get("target")
    if isinstance(target, bool) or not isinstance(target, int) or not 1 <= target <= 1000:
        raise _bad("target is a whole number from 1 to 1000.", "goal.target")
    goal: dict[str, Any] = {"type": value["type"], "trigger": trigger, "target": target}
    if value.get("condition") is not None:
        goal["condition"] = check_condition(
            value["condition"], workspace, SUBJECTS[trigger["type"]], "goal.condition"
        )
    if value["type"] == "count":
        if set(value) - {"type", "trigger", "condition", "target", "within"}:
            raise _bad("A count goal has trigger, condition, target and within.", "goal")
        if value.get("within") is not None:
            parse_duration(value["within"], "goal.within")  # invalid_condition, as documented
            goal["within"] = value["within"]
    else:
        if set(value) - {"type", "trigger", "condition", "target", "period"}:
            raise _bad("A streak goal has trigger, condition, target and period.", "goal")
        if value.get("period") not in STREAK_PERIODS:
            raise _bad("A streak's period is day, week or month.", "goal.period")
        goal["period"] = value["period"]
    return goal


def check_milestone(
    workspace: Workspace, program: Program, data: Mapping[str, Any]
) -> dict[str, Any]:
    badge = data.get("badge")
    if badge is not None and (
        not isinstance(badge, Mapping) or not isinstance(badge.get("name"), str)
    ):
        raise _bad('badge is {"name", "image_url"}.', "badge")
    repeat = data.get("repeat", "once")
    if repeat not in ("once", "per_period"):
        raise _bad("repeat is once or per_period.", "repeat")
    points = data.get("points", 0)
    if points != 0:
        try:
            points = _points(points, "points")
        except ValidationFailed as error:
            raise _as_milestone_fault(error) from error
    return {
        "name": check_name(data.get("name")),
        "goal": check_goal(data.get("goal"), workspace, program),
        "points": points,
        "badge": dict(badge) if badge else None,
        "repeat": repeat,
    }


def create_milestone(
    workspace: Workspace, program_key: str, data: Mapping[str, Any], actor: Actor
) -> Milestone:
    program = get_program(workspace, program_key)
    key = check_object_id(data["id"]) if data.get("id") else new_object_id("milestone")
    clean = check_milestone(workspace, program, data)
    with transaction.atomic(savepoint=False):
        milestone = insert_new(
            MilestoneExists(f"A milestone {key!r} exists already.", field="id"),
            Milestone(workspace=workspace, program=program, key=key, **clean),
            program=program,
            key=key,
        )
        audit.record(
            workspace,
            actor,
            "milestone.created",
            "milestone",
            f"{program.key}/{key}",
            after={"id": key, **clean},
        )
        setup.touch(program)
    return milestone


# ------------------------------------------------------------------ tracking


def _last_award(account: Account, milestone: Milestone) -> MilestoneAward | None:
    return (
        MilestoneAward.objects.filter(account=account, milestone=milestone)
        .order_by("-achieved_at", "-pk")
        .first()
    )


def _hits(account: Account, milestone: Milestone, since: datetime | None) -> list[datetime]:
    hits = MilestoneHit.objects.filter(account=account, milestone=milestone)
    if since is not None:
        hits = hits.filter(occurred_at__gt=since)
    return list(hits.order_by("occurred_at").values_list("occurred_at", flat=True))


def _streak(moments: list[datetime], period: str, tz: str, until: datetime) -> int:
    """Consecutive periods, ending with the one holding `until` (or the one before, which
    can still be continued), that each hold a hit."""
    held = {period_start(period, m, tz) for m in moments}
    start = period_start(period, until, tz)
    assert start is not None
    if start not in held:
        start = previous_start(period, start)
    length = 0
    while start in held:
        length += 1
        start = previous_start(period, start)
    return length


def _progress(
    milestone: Milestone, hits: list[datetime], last: MilestoneAward | None, moment: datetime
) -> int:
    """Progress toward the goal from the member's hits (in time order) and last award."""
    goal = milestone.goal
    if last is not None and milestone.repeat == "once":
        return int(goal["target"])
    if last is not None:
        hits = [h for h in hits if h > last.achieved_at]
    if goal["type"] == "count":
        if goal.get("within"):
            start = parse_duration(goal["within"], "within").before(moment)
            hits = [h for h in hits if h > start]
        return min(len(hits), int(goal["target"]))
    streak = _streak(hits, goal["period"], milestone.program.timezone, moment)
    return min(streak, int(goal["target"]))


def progress_of(account: Account, milestone: Milestone, moment: datetime) -> int:
    return _progress(
        milestone, _hits(account, milestone, None), _last_award(account, milestone), moment
    )


def track(
    program: Program, account: Account, milestones: Sequence[Milestone], fact: Any, ctx: c.Context
) -> None:
    """Record the fact against the program's milestones it counts for, and award those it
    completes."""
    from kizuna.loyalty.services.earning import parsed

    trigger, source, event_name = fact.trigger, fact.source, fact.event_name
    counted = [
        m
        for m in milestones
        if m.goal["trigger"]["type"] == trigger
        and m.goal["trigger"].get("event", event_name) == event_name
    ]
    if not counted:
        return
    last: dict[int, MilestoneAward] = {}
    for award in MilestoneAward.objects.filter(account=account, milestone__in=counted).order_by(
        "achieved_at", "pk"
    ):
        last[award.milestone_id] = award
    for milestone in counted:
        goal = milestone.goal
        if milestone.repeat == "once" and milestone.pk in last:
            continue  # achieved for good: nothing more to count
        if goal.get("condition") and not c.evaluate(
            parsed(program, goal["condition"], "condition"), ctx
        ):
            continue
        _, created = insert_once(
            MilestoneHit(
                workspace_id=account.workspace_id,
                account=account,
                milestone=milestone,
                source_type=source.type,
                source_id=source.id,
                occurred_at=ctx.now,
            ),
            milestone=milestone,
            account=account,
            source_type=source.type,
            source_id=source.id,
        )
        if not created:
            continue
        milestone.program = program
        previous = last.get(milestone.pk)
        since = previous.achieved_at if previous is not None else None
        if goal["type"] == "count" and goal.get("within"):
            start = parse_duration(goal["within"], "within").before(ctx.now)
            since = max(since, start) if since is not None else start
        hits = _hits(account, milestone, since)
        if _progress(milestone, hits, previous, ctx.now) >= goal["target"]:
            _award(program, account, milestone, ctx.now)


def _award(program: Program, account: Account, milestone: Milestone, moment: datetime) -> None:
    if milestone.repeat == "once":
        period = ""
    else:
        period = (
            period_key(milestone.goal.get("period", "day"), moment, program.timezone)
            + f"#{moment:%H%M%S%f}"
        )
    award, created = insert_once(
        MilestoneAward(
            workspace_id=account.workspace_id,
            account=account,
            milestone=milestone,
            period=period,
            achieved_at=moment,
        ),
        account=account,
        milestone=milestone,
        period=period,
    )
    if not created:
        return
    if milestone.points:
        expires_at = policies.expires_at(program.expiry, now(), program.timezone)
        ledger.credit(
            account,
            EntryType.EARN,
            milestone.points,
            expires_at=expires_at,
            reason=f"milestone {milestone.name}",
            source=Source("milestone", f"{milestone.key}:{award.pk}"),
            rule_key=milestone.key,
            occurred_at=moment,
        )
    outbox.emit(
        program.workspace,
        events.MilestoneAchieved(
            program_id=program.key,
            customer_id=account.customer.external_id,
            milestone_id=milestone.key,
            period=period,
        ),
    )


def standing(
    account: Account, program: Program
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The member's progress on each milestone of the program, and the badges they hold
    (three queries, whatever the number of milestones and hits)."""
    moment = now()
    awards: dict[int, MilestoneAward] = {}
    for award in MilestoneAward.objects.filter(account=account).order_by("achieved_at", "pk"):
        awards[award.milestone_id] = award
    hits: dict[int, list[datetime]] = {}
    for milestone_id, occurred_at in (
        MilestoneHit.objects.filter(account=account)
        .order_by("occurred_at")
        .values_list("milestone_id", "occurred_at")
    ):
        hits.setdefault(milestone_id, []).append(occurred_at)
    out = []
    badges = []
    for milestone in program.milestones.all().order_by("key"):
        milestone.program = program
        last = awards.get(milestone.pk)
        out.append(
            {
                "id": milestone.key,
                "progress": _progress(milestone, hits.get(milestone.pk, []), last, moment),
                "target": milestone.goal["target"],
                "achieved_at": last.achieved_at if last else None,
            }
        )
        if last is not None and milestone.badge:
            badges.append(
                {**milestone.badge, "milestone_id": milestone.key, "achieved_at": last.achieved_at}
            )
    return out, badges
