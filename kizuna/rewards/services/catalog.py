"""The reward catalog: rewards created, changed (each change audited), read
(docs/rewards.md, Catalog). Every fault names its path (`value.percent`, `limits[1].times`,
`tier_costs.gold`)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed, refuse_nulls
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.money import check_amount, check_currency, format_amount
from kizuna.core.upsert import insert_new
from kizuna.loyalty.models import Program, Tier
from kizuna.loyalty.services.programs import check_translations, get_program
from kizuna.rewards.errors import RewardExists, RewardNotFound
from kizuna.rewards.locks import lock_reward
from kizuna.rewards.models import Reward, RewardStatus, RewardType
from kizuna.rewards.models.catalog import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from kizuna.vouchers.services.discounts import check_condition

PERIODS = ("day", "week", "month", "year", "all_time")
MAX_POINTS = 100_000_000
MAX_STOCK = 1_000_000_000
MAX_VALIDITY_DAYS = 3650
SKU_MAX_LENGTH = 100
# The fields of `value` each type takes (the others are refused with their path).
VALUE_FIELDS: dict[str, frozenset[str]] = {
    RewardType.DISCOUNT_AMOUNT: frozenset({"amount", "currency"}),
    RewardType.DISCOUNT_PERCENT: frozenset({"percent", "max_discount", "currency"}),
    RewardType.FREE_SHIPPING: frozenset(),
    RewardType.FREE_PRODUCT: frozenset({"sku"}),
    RewardType.GIFT_CARD: frozenset({"amount", "currency"}),
    RewardType.STORE_CREDIT: frozenset({"amount", "currency"}),
    RewardType.CASHBACK: frozenset({"amount", "percent", "max_discount", "currency"}),
    RewardType.MATERIAL: frozenset({"sku"}),
    RewardType.PAY_WITH_POINTS: frozenset({"points_per_unit"}),
}
NOT_NULL = ("name", "cost_points", "tier_costs", "limits", "status", "value")
IMMUTABLE = ("program_id", "type")


def _bad(message: str, field: str, code: str = "invalid_value") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _whole(value: Any, field: str, low: int, high: int, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{field} is a whole number from {low:,} to {high:,}.", field, code)
    return value


def _positive_amount(value: Any, currency: str, field: str) -> str:
    if value is None:
        raise _bad("The amount is required.", field, "required")
    amount = check_amount(value, currency, field=field)
    if amount <= 0:
        raise _bad("The amount is more than zero.", field, "invalid_amount")
    return format_amount(amount, currency)


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad("A number is expected.", field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _bad("A number is expected.", field) from exc
    if not number.is_finite():
        raise _bad("A number is expected.", field)
    return number


def _percent(value: Any, field: str) -> str:
    if value is None:
        raise _bad("The percent is required.", field, "required")
    percent = _decimal(value, field)
    if not 0 < percent <= 100 or percent.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _bad("The percent is more than 0 and at most 100, two decimals at most.", field)
    return str(int(percent)) if percent == percent.to_integral() else str(percent)


def _sku(value: Any, field: str, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > SKU_MAX_LENGTH:
        raise _bad(f"A sku of 1 to {SKU_MAX_LENGTH} characters.", field, "invalid_sku")
    return value.strip()


def check_value(kind: str, value: Any, program: Program) -> dict[str, Any]:
    """A reward's `value` for its type; amounts default to the program's currency."""
    value = {} if value is None else value
    if not isinstance(value, Mapping):
        raise _bad("value is an object.", "value")
    unknown = sorted(set(value) - VALUE_FIELDS[kind])
    if unknown:
        raise _bad(f"A {kind} reward's value has no {unknown[0]!r}.", f"value.{unknown[0]}")
    out: dict[str, Any] = {}
    if "currency" in VALUE_FIELDS[kind]:
        currency = check_currency(value.get("currency", program.currency), field="value.currency")
    if kind == RewardType.CASHBACK and (value.get("amount") is None) == (
        value.get("percent") is None
    ):
        raise _bad("A cashback is an amount or a percent (one of them).", "value.amount")
    if kind == RewardType.CASHBACK and value.get("amount") is not None and "max_discount" in value:
        raise _bad("A cashback amount has no cap.", "value.max_discount")
    if kind in (RewardType.DISCOUNT_AMOUNT, RewardType.GIFT_CARD, RewardType.STORE_CREDIT) or (
        kind == RewardType.CASHBACK and value.get("amount") is not None
    ):
        out["amount"] = _positive_amount(value.get("amount"), currency, "value.amount")
        out["currency"] = currency
    if kind == RewardType.DISCOUNT_PERCENT or (
        kind == RewardType.CASHBACK and value.get("percent") is not None
    ):
        out["percent"] = _percent(value.get("percent"), "value.percent")
        if value.get("max_discount") is not None:
            out["max_discount"] = _positive_amount(
                value["max_discount"], currency, "value.max_discount"
            )
            out["currency"] = currency
        elif "currency" in value:
            out["currency"] = currency
    if kind in (RewardType.FREE_PRODUCT, RewardType.MATERIAL):
        sku = _sku(value.get("sku"), "value.sku", kind == RewardType.FREE_PRODUCT)
        if sku is not None:
            out["sku"] = sku
    if kind == RewardType.PAY_WITH_POINTS:
        if value.get("points_per_unit") is None:
            raise _bad("points_per_unit is required.", "value.points_per_unit", "required")
        rate = _decimal(value["points_per_unit"], "value.points_per_unit")
        if not 0 < rate <= MAX_POINTS or rate.as_tuple().exponent < -4:  # type: ignore[operator]
            raise _bad(
                "points_per_unit is more than 0 (points per one unit of the program's "
                "currency), four decimals at most.",
                "value.points_per_unit",
            )
        out["points_per_unit"] = str(rate.normalize()) if rate % 1 else str(int(rate))
    return out


def _tier_keys(program: Program) -> set[str]:
    return set(Tier.objects.filter(program=program).values_list("key", flat=True))


def check_tier_costs(value: Any, tiers: set[str]) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise _bad('tier_costs is an object: {"gold": 800}.', "tier_costs")
    out = {}
    for key, points in value.items():
        if key not in tiers:
            raise _bad(f"The program has no tier {key!r}.", f"tier_costs.{key}", "unknown_tier")
        out[str(key)] = _whole(points, f"tier_costs.{key}", 0, MAX_POINTS, "invalid_points")
    return out


def check_tiers(value: Any, tiers: set[str]) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise _bad("tiers is a list of tier ids, or null for every member.", "tiers")
    for i, key in enumerate(value):
        if key not in tiers:
            raise _bad(f"The program has no tier {key!r}.", f"tiers[{i}]", "unknown_tier")
    return list(dict.fromkeys(value))


def check_limits(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad('limits is a list: [{"period": "month", "times": 1}].', "limits")
    out: list[dict[str, Any]] = []
    for i, limit in enumerate(value):
        field = f"limits[{i}]"
        if not isinstance(limit, Mapping):
            raise _bad("A limit is an object {period, times}.", field, "invalid_limit")
        unknown = sorted(set(limit) - {"period", "times"})
        if unknown:
            raise _bad(f"Unknown field {unknown[0]!r}.", f"{field}.{unknown[0]}", "invalid_limit")
        if limit.get("period") not in PERIODS:
            raise _bad(
                f"period is one of {', '.join(PERIODS)}.", f"{field}.period", "invalid_limit"
            )
        if any(other["period"] == limit["period"] for other in out):
            raise _bad("One limit per period.", f"{field}.period", "invalid_limit")
        times = _whole(limit.get("times"), f"{field}.times", 1, MAX_STOCK, "invalid_limit")
        out.append({"period": limit["period"], "times": times})
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > DESCRIPTION_MAX_LENGTH:
        raise _bad(
            f"description is text of at most {DESCRIPTION_MAX_LENGTH} characters.",
            "description",
            "invalid_text",
        )
    return value.strip()


def _name(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = {"default": value}
    return check_translations(value, "name", NAME_MAX_LENGTH)


def check_reward(
    workspace: Workspace, data: Mapping[str, Any], current: Reward | None = None
) -> dict[str, Any]:
    """The reward fields present in `data`, checked (all of them for a new reward)."""
    partial = current is not None
    clean: dict[str, Any] = {}
    if current is not None:
        refuse_nulls(data, NOT_NULL)
        for name in IMMUTABLE:
            if name in data:
                current_value = current.program.key if name == "program_id" else current.type
                if data[name] != current_value:
                    raise _bad(f"{name} cannot change; create another reward.", name, "immutable")
        program, kind = current.program, current.type
    else:
        if data.get("program_id") is None:
            raise _bad("program_id is required.", "program_id", "required")
        program = get_program(workspace, data["program_id"])
        if data.get("type") not in RewardType.values:
            raise _bad(f"type is one of {', '.join(RewardType.values)}.", "type", "invalid_type")
        kind = str(data["type"])
        clean["program"], clean["type"] = program, kind
    if "name" in data or not partial:
        clean["name"] = _name(data.get("name"))
    if "description" in data or not partial:
        clean["description"] = _text(data.get("description"))
    if "value" in data or not partial:
        clean["value"] = check_value(kind, data.get("value"), program)
    if "cost_points" in data or not partial:
        default = 0 if kind == RewardType.PAY_WITH_POINTS else None
        cost = data.get("cost_points", default)
        if cost is None:
            raise _bad("cost_points is required.", "cost_points", "required")
        clean["cost_points"] = _whole(cost, "cost_points", 0, MAX_POINTS, "invalid_points")
    if any(data.get(name) is not None for name in ("tier_costs", "tiers")):
        tiers = _tier_keys(program)
        if data.get("tier_costs") is not None:
            clean["tier_costs"] = check_tier_costs(data["tier_costs"], tiers)
        if data.get("tiers") is not None:
            clean["tiers"] = check_tiers(data["tiers"], tiers)
    if "tiers" in data and data["tiers"] is None:
        clean["tiers"] = None
    if "stock" in data and data["stock"] is not None:
        clean["stock"] = _whole(data["stock"], "stock", 0, MAX_STOCK, "invalid_stock")
    elif "stock" in data:
        clean["stock"] = None
    if "limits" in data:
        clean["limits"] = check_limits(data["limits"])
    for name in ("available_from", "available_until"):
        if name in data:
            moment = data[name]
            if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
                raise _bad(f"{name} is a time with an offset.", name, "invalid_datetime")
            clean[name] = None if moment is None else moment.astimezone(UTC)
    _check_window(clean, current)
    if "condition" in data:
        clean["condition"] = check_condition(
            data["condition"], workspace, ("customer",), "condition"
        )
    if "order_condition" in data:
        clean["order_condition"] = check_condition(
            data["order_condition"], workspace, ("customer", "order"), "order_condition"
        )
    if "validity_days" in data:
        days = data["validity_days"]
        clean["validity_days"] = (
            None
            if days is None
            else _whole(days, "validity_days", 1, MAX_VALIDITY_DAYS, "invalid_validity")
        )
    if "status" in data:
        if data["status"] not in RewardStatus.values:
            raise _bad("status is active, inactive or draft.", "status", "invalid_status")
        clean["status"] = data["status"]
    return clean


def _check_window(clean: dict[str, Any], current: Reward | None) -> None:
    start: datetime | None = clean.get(
        "available_from", current.available_from if current else None
    )
    end: datetime | None = clean.get(
        "available_until", current.available_until if current else None
    )
    if start is not None and end is not None and not start < end:
        raise _bad(
            "available_until comes after available_from.", "available_until", "invalid_window"
        )


def snapshot(reward: Reward) -> dict[str, Any]:
    return {
        "id": reward.key,
        "program_id": reward.program.key,
        "type": reward.type,
        "name": reward.name,
        "description": reward.description,
        "value": reward.value,
        "cost_points": reward.cost_points,
        "tier_costs": reward.tier_costs,
        "tiers": reward.tiers,
        "stock": reward.stock,
        "limits": reward.limits,
        "available_from": reward.available_from,
        "available_until": reward.available_until,
        "condition": reward.condition,
        "order_condition": reward.order_condition,
        "validity_days": reward.validity_days,
        "status": reward.status,
    }


def create_reward(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> Reward:
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("reward")
    clean = check_reward(workspace, data)
    with transaction.atomic(savepoint=False):
        reward = insert_new(
            RewardExists(f"A reward {key!r} exists already.", field="id"),
            Reward(workspace=workspace, key=key, **clean),
            workspace=workspace,
            key=key,
        )
        audit.record(
            workspace,
            actor,
            "reward.created",
            "reward",
            key,
            after=audit.jsonable(snapshot(reward)),
        )
    return reward


def get_reward(workspace: Workspace, key: str) -> Reward:
    reward = one_or_none(
        Reward.objects.for_workspace(workspace).filter(key=key).select_related("program")
    )
    if reward is None:
        raise RewardNotFound(f"No reward {key!r}.", field="reward_id")
    return reward


def update_reward(workspace: Workspace, key: str, data: Mapping[str, Any], actor: Actor) -> Reward:
    with transaction.atomic(savepoint=False):
        reward = lock_reward(get_reward(workspace, key).pk)
        if reward is None:  # rewards are never deleted; be exact
            raise RewardNotFound(f"No reward {key!r}.", field="reward_id")
        clean = check_reward(workspace, data, reward)
        before = audit.jsonable(snapshot(reward))
        for name, value in clean.items():
            setattr(reward, name, value)
        after = audit.jsonable(snapshot(reward))
        if after != before:
            reward.updated_at = now()
            reward.save()
            audit.record(
                workspace, actor, "reward.updated", "reward", key, before=before, after=after
            )
    return reward


def window_state(reward: Reward, at: datetime) -> str | None:
    """Why the reward's window refuses `at` (not_started, ended), or None."""
    if reward.available_from is not None and at < reward.available_from:
        return "not_started"
    if reward.available_until is not None and at >= reward.available_until:
        return "ended"
    return None


def points_per_unit(program: Any) -> Decimal | None:
    """The rate of the program's active pay-with-points reward (points per one unit of its
    currency), for the checkout; None when points cannot pay. The oldest such reward whose
    window holds now wins."""
    moment = now()
    values = (
        Reward.objects.filter(
            program_id=program.pk, type=RewardType.PAY_WITH_POINTS, status=RewardStatus.ACTIVE
        )
        .order_by("pk")
        .values_list("value", "available_from", "available_until")
    )
    for value, start, end in values:
        if (start is None or start <= moment) and (end is None or moment < end):
            return Decimal(value["points_per_unit"])
    return None
