"""Earning rules: checked when saved (every fault named by its JSON path), changed with an
audit entry, deleted softly (the ledger keeps naming them)."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core import conditions as c
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_new
from kizuna.loyalty.errors import InvalidRule, RuleExists, RuleNotFound
from kizuna.loyalty.locks import lock_rule_of
from kizuna.loyalty.models import EarningRule, Program, Tier
from kizuna.loyalty.services import setup
from kizuna.loyalty.services.programs import check_name, get_program

TRIGGERS = ("order_paid", "event", "enrolment", "birthday", "tier_reached")
BASES = ("total", "subtotal", "items_value", "items_quantity")
ROUNDINGS = ("down", "up", "nearest")
PERIODS = ("day", "week", "month", "year", "all_time")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_POINTS = 10_000_000
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,99}")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
# The subjects a condition may read, by trigger (item conditions read one item of the order).
SUBJECTS = {
    "order_paid": ("customer", "order"),
    "event": ("customer", "event"),
    "enrolment": ("customer",),
    "birthday": ("customer",),
    "tier_reached": ("customer",),
}
RULE_FIELDS = (
    "name",
    "status",
    "trigger",
    "condition",
    "effect",
    "priority",
    "stop_after",
    "limits",
    "budget_points",
    "active_from",
    "active_until",
    "schedule",
    "tier_multipliers",
)


def _bad(message: str, field: str) -> InvalidRule:
    return InvalidRule(message, field=field)


def _points(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POINTS:
        raise _bad(f"Points are a whole number from 1 to {MAX_POINTS:,}.", field)
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _bad("true or false.", field)
    return value


def _decimal(value: Any, field: str) -> str:
    try:
        number = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0 or number > Decimal(1_000_000):
        raise _bad('A positive decimal string, such as "1.5".', field)
    return str(number)


def check_trigger(value: Any, program: Program) -> dict[str, Any]:
    if not isinstance(value, Mapping) or value.get("type") not in TRIGGERS:
        raise _bad(f"The trigger type is one of {', '.join(TRIGGERS)}.", "trigger.type")
    kind = value["type"]
    extra = set(value) - {"type", "event", "tier_id"}
    if extra:
        raise _bad(f"Unknown trigger field {sorted(extra)[0]!r}.", f"trigger.{sorted(extra)[0]}")
    if kind == "event":
        name = value.get("event")
        if not isinstance(name, str) or not _EVENT_NAME.fullmatch(name):
            raise _bad("An event trigger names the event, such as review_posted.", "trigger.event")
        return {"type": kind, "event": name}
    if kind == "tier_reached":
        tier = value.get("tier_id")
        if not isinstance(tier, str) or not Tier.objects.filter(program=program, key=tier).exists():
            raise _bad("tier_id names a tier of the program.", "trigger.tier_id")
        return {"type": kind, "tier_id": tier}
    return {"type": kind}


def check_condition(
    value: Any, workspace: Workspace, subjects: tuple[str, ...], field: str
) -> dict[str, Any] | None:
    if value is None:
        return None
    c.parse(value, workspace=workspace, subjects=subjects, root=field)
    return dict(value)


def check_effect(value: Any, trigger: str, workspace: Workspace) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad("The effect is fixed, proportional or multiplier.", "effect.type")
    kind = value.get("type")
    if kind == "fixed":
        if set(value) - {"type", "points"}:
            raise _bad("A fixed effect has points only.", "effect")
        return {"type": kind, "points": _points(value.get("points"), "effect.points")}
    if kind == "multiplier":
        if set(value) - {"type", "factor"}:
            raise _bad("A multiplier effect has a factor only.", "effect")
        return {"type": kind, "factor": _decimal(value.get("factor"), "effect.factor")}
    if kind != "proportional":
        raise _bad("The effect is fixed, proportional or multiplier.", "effect.type")
    if trigger != "order_paid":
        raise _bad(
            "A proportional effect needs an order: use the order_paid trigger.", "effect.type"
        )
    allowed = {"type", "points", "per", "base", "item_condition", "rounding", "max_points"}
    extra = set(value) - allowed
    if extra:
        raise _bad(f"Unknown effect field {sorted(extra)[0]!r}.", f"effect.{sorted(extra)[0]}")
    base = value.get("base", "total")
    if base not in BASES:
        raise _bad(f"The base is one of {', '.join(BASES)}.", "effect.base")
    rounding = value.get("rounding", "down")
    if rounding not in ROUNDINGS:
        raise _bad("Rounding is down, up or nearest.", "effect.rounding")
    effect: dict[str, Any] = {
        "type": kind,
        "points": _points(value.get("points"), "effect.points"),
        "per": _decimal(value.get("per", "1"), "effect.per"),
        "base": base,
        "rounding": rounding,
    }
    if value.get("item_condition") is not None:
        if base not in ("items_value", "items_quantity"):
            raise _bad("An item condition applies to items_value or items_quantity.", "effect.base")
        effect["item_condition"] = check_condition(
            value["item_condition"],
            workspace,
            ("item", "order", "customer"),
            "effect.item_condition",
        )
    if value.get("max_points") is not None:
        effect["max_points"] = _points(value["max_points"], "effect.max_points")
    return effect


def check_limits(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 10:
        raise _bad("limits is a list of at most 10 limits.", "limits")
    out = []
    for i, limit in enumerate(value):
        field = f"limits[{i}]"
        if not isinstance(limit, Mapping) or limit.get("period") not in PERIODS:
            raise _bad(f"The period is one of {', '.join(PERIODS)}.", f"{field}.period")
        if set(limit) - {"period", "points", "times"} or not ({"points", "times"} & set(limit)):
            raise _bad("A limit has a period and points, times or both.", field)
        clean: dict[str, Any] = {"period": limit["period"]}
        for key in ("points", "times"):
            if key in limit:
                clean[key] = _points(limit[key], f"{field}.{key}")
        out.append(clean)
    return out


def check_schedule(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - {"days", "from", "until"}:
        raise _bad('A schedule is {"days": [...], "from": "09:00", "until": "17:00"}.', "schedule")
    days = value.get("days", list(DAYS))
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise _bad(f"days are some of {', '.join(DAYS)}.", "schedule.days")
    clean: dict[str, Any] = {"days": [d for d in DAYS if d in days]}
    for key in ("from", "until"):
        if key in value:
            if not isinstance(value[key], str) or not _CLOCK.fullmatch(value[key]):
                raise _bad("A time of day, such as 09:00.", f"schedule.{key}")
            clean[key] = value[key]
    if "from" in clean and "until" in clean and clean["from"] >= clean["until"]:
        raise _bad("from comes before until.", "schedule.until")
    return clean


def check_tier_multipliers(value: Any, program: Program) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad('tier_multipliers is {"gold": "1.5", ...}.', "tier_multipliers")
    tiers = set(Tier.objects.filter(program=program).values_list("key", flat=True))
    out = {}
    for tier, factor in value.items():
        if tier not in tiers:
            raise _bad(f"The program has no tier {tier!r}.", f"tier_multipliers.{tier}")
        out[tier] = _decimal(factor, f"tier_multipliers.{tier}")
    return out


def _moment(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _bad("A time with an offset.", field)
    return value.astimezone(UTC)  # stored and returned in UTC


def check_rule(
    workspace: Workspace, program: Program, data: Mapping[str, Any], current: EarningRule | None
) -> dict[str, Any]:
    """The rule's fields after `data` is applied to `current` (None: a new rule), checked
    as a whole (a changed trigger re-checks the condition and the effect against it)."""
    merged: dict[str, Any] = (
        {name: getattr(current, name) for name in RULE_FIELDS} if current is not None else {}
    )
    merged.update({k: v for k, v in data.items() if k in RULE_FIELDS})
    trigger = check_trigger(merged.get("trigger"), program)
    status = merged.get("status", "active")
    if status not in ("active", "inactive"):
        raise ValidationFailed(
            "status is active or inactive.", code="invalid_status", field="status"
        )
    priority = merged.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10_000:
        raise _bad("A whole number from 0 to 10000 (lower runs first).", "priority")
    budget = merged.get("budget_points")
    active_from = _moment(merged.get("active_from"), "active_from")
    active_until = _moment(merged.get("active_until"), "active_until")
    if active_from and active_until and active_from >= active_until:
        raise _bad("active_from comes before active_until.", "active_until")
    return {
        "name": check_name(merged.get("name")),
        "status": status,
        "trigger": trigger,
        "condition": check_condition(
            merged.get("condition"), workspace, SUBJECTS[trigger["type"]], "condition"
        ),
        "effect": check_effect(merged.get("effect"), trigger["type"], workspace),
        "priority": priority,
        "stop_after": _flag(merged.get("stop_after", False), "stop_after"),
        "limits": check_limits(merged.get("limits")),
        "budget_points": None if budget is None else _points(budget, "budget_points"),
        "active_from": active_from,
        "active_until": active_until,
        "schedule": check_schedule(merged.get("schedule")),
        "tier_multipliers": check_tier_multipliers(merged.get("tier_multipliers"), program),
    }


def snapshot(rule: EarningRule) -> dict[str, Any]:
    return {"id": rule.key, **{name: getattr(rule, name) for name in RULE_FIELDS}}


def get_rule(program: Program, key: str, *, lock: bool = False) -> EarningRule:
    queryset = EarningRule.objects.filter(program=program, key=key, deleted_at__isnull=True)
    rule = lock_rule_of(queryset) if lock else one_or_none(queryset)
    if rule is None:
        raise RuleNotFound(f"No earning rule {key!r} in program {program.key!r}.", field="rule_id")
    return rule


def create_rule(
    workspace: Workspace, program_key: str, data: Mapping[str, Any], actor: Actor
) -> EarningRule:
    program = get_program(workspace, program_key)
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("rule")
    clean = check_rule(workspace, program, data, None)
    with transaction.atomic(savepoint=False):
        rule = insert_new(
            RuleExists(f"An earning rule {key!r} exists already.", field="id"),
            EarningRule(workspace=workspace, program=program, key=key, **clean),
            program=program,
            key=key,
            deleted_at=None,
        )
        audit.record(
            workspace,
            actor,
            "earning_rule.created",
            "earning_rule",
            _ref(rule),
            after=snapshot(rule),
        )
        setup.touch(program)
    return rule


def update_rule(
    workspace: Workspace, program_key: str, key: str, data: Mapping[str, Any], actor: Actor
) -> EarningRule:
    program = get_program(workspace, program_key)
    with transaction.atomic(savepoint=False):
        rule = get_rule(program, key, lock=True)
        clean = check_rule(workspace, program, data, rule)
        budget = clean["budget_points"]
        if budget is not None and budget < rule.points_awarded:
            raise _bad(
                f"The rule has given {rule.points_awarded} points; its budget cannot be less.",
                "budget_points",
            )
        before = snapshot(rule)
        for name, value in clean.items():
            setattr(rule, name, value)
        after = snapshot(rule)
        if after != before:
            rule.updated_at = now()
            rule.save()
            audit.record(
                workspace,
                actor,
                "earning_rule.updated",
                "earning_rule",
                _ref(rule),
                before=before,
                after=after,
            )
            setup.touch(program)
    return rule


def delete_rule(workspace: Workspace, program_key: str, key: str, actor: Actor) -> None:
    program = get_program(workspace, program_key)
    with transaction.atomic(savepoint=False):
        rule = get_rule(program, key, lock=True)
        rule.deleted_at = now()
        rule.save(update_fields=["deleted_at"])
        audit.record(
            workspace,
            actor,
            "earning_rule.deleted",
            "earning_rule",
            _ref(rule),
            before=snapshot(rule),
        )
        setup.touch(program)


def _ref(rule: EarningRule) -> str:
    return f"{rule.program.key}/{rule.key}"


def local_time(moment: datetime, tz: str) -> tuple[str, time]:
    """The day (mon...) and time of day of `moment` in the time zone `tz`."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(tz))
    return DAYS[local.weekday()], local.time()
