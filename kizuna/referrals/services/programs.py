"""Referral programs: checked, created, changed (each change audited), read."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import NotFound, ValidationFailed, refuse_nulls
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.money import check_amount, check_currency, format_amount
from kizuna.core.upsert import insert_new
from kizuna.customers.services.custom_events import EVENT_NAME
from kizuna.loyalty.models import Program
from kizuna.loyalty.services.programs import get_program as get_loyalty_program
from kizuna.referrals.errors import InvalidReward, ProgramExists, ProgramNotFound
from kizuna.referrals.locks import lock_program
from kizuna.referrals.models import (
    NAME_MAX_LENGTH,
    Attribution,
    ProgramStatus,
    ReferralProgram,
)
from kizuna.rewards.services.catalog import get_reward
from kizuna.vouchers.services import codes
from kizuna.vouchers.services.campaigns import get_campaign

NOT_NULL = ("name", "status", "conversion", "attribution", "caps", "code")
MAX_POINTS = 1_000_000
MAX_TIMES = 1_000_000
PERIODS = ("day", "week", "month", "year", "all_time")
REWARD_KINDS = ("points", "voucher", "reward")
CODE_FIELDS = frozenset({"prefix", "length"})


def _fields(value: Any, allowed: set[str], field: str, shape: str, code: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{field} is an object: {shape}.", code=code, field=field)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}.", code=code, field=f"{field}.{unknown[0]}"
        )
    return value


def _whole(value: Any, field: str, top: int, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise ValidationFailed(f"A whole number from 1 to {top:,}.", code=code, field=field)
    return value


def check_reward(workspace: Workspace, value: Any, field: str) -> dict[str, Any] | None:
    """One side's reward: points, a voucher of a campaign, a reward of the catalog, or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("type") not in REWARD_KINDS:
        raise InvalidReward(
            'A reward is {"type": "points", "points"}, {"type": "voucher", "campaign_id"} or '
            '{"type": "reward", "reward_id"}.',
            field=f"{field}.type",
        )
    kind = value["type"]
    if kind == "points":
        _fields(value, {"type", "points"}, field, '{"type": "points", "points"}', "invalid_reward")
        points = _whole(value.get("points"), f"{field}.points", MAX_POINTS, "invalid_points")
        return {"type": "points", "points": points}
    if kind == "voucher":
        _fields(
            value,
            {"type", "campaign_id"},
            field,
            '{"type": "voucher", "campaign_id"}',
            "invalid_reward",
        )
        key = check_object_id(value.get("campaign_id"), f"{field}.campaign_id")
        try:
            get_campaign(workspace, key)
        except NotFound as exc:
            raise InvalidReward(
                f"No voucher campaign {key!r}.", field=f"{field}.campaign_id"
            ) from exc
        return {"type": "voucher", "campaign_id": key}
    _fields(
        value, {"type", "reward_id"}, field, '{"type": "reward", "reward_id"}', "invalid_reward"
    )
    key = check_object_id(value.get("reward_id"), f"{field}.reward_id")
    try:
        get_reward(workspace, key)
    except NotFound as exc:
        raise InvalidReward(
            f"No reward {key!r} in the catalog.", field=f"{field}.reward_id"
        ) from exc
    return {"type": "reward", "reward_id": key}


def check_conversion(value: Any) -> dict[str, Any]:
    """{"type": "first_order", "min_total"?, "currency"?} or {"type": "event", "event"}."""
    if not isinstance(value, Mapping) or value.get("type") not in ("first_order", "event"):
        raise ValidationFailed(
            'conversion is {"type": "first_order", "min_total"?, "currency"?} or '
            '{"type": "event", "event"}.',
            code="invalid_conversion",
            field="conversion.type",
        )
    if value["type"] == "event":
        _fields(
            value,
            {"type", "event"},
            "conversion",
            '{"type": "event", "event"}',
            "invalid_conversion",
        )
        name = value.get("event")
        if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
            raise ValidationFailed(
                "event is an event name: a letter, then up to 99 letters, digits or _ . : -.",
                code="invalid_conversion",
                field="conversion.event",
            )
        return {"type": "event", "event": name}
    _fields(
        value,
        {"type", "min_total", "currency"},
        "conversion",
        '{"type": "first_order"}',
        "invalid_conversion",
    )
    if value.get("min_total") is None:
        if value.get("currency") is not None:
            raise ValidationFailed(
                "currency goes with min_total.",
                code="invalid_conversion",
                field="conversion.currency",
            )
        return {"type": "first_order"}
    currency = check_currency(value.get("currency"), field="conversion.currency")
    total = check_amount(value["min_total"], currency, field="conversion.min_total")
    return {
        "type": "first_order",
        "min_total": format_amount(total, currency),
        "currency": currency,
    }


def check_caps(value: Any) -> list[dict[str, Any]]:
    """[{"period", "times"}]: at most `times` referrals of one referrer per period."""
    if not isinstance(value, list) or len(value) > len(PERIODS):
        raise ValidationFailed(
            f"caps is a list of up to {len(PERIODS)} {{period, times}}.",
            code="invalid_caps",
            field="caps",
        )
    out, seen = [], set()
    for i, cap in enumerate(value):
        field = f"caps[{i}]"
        if not isinstance(cap, Mapping) or set(cap) != {"period", "times"}:
            raise ValidationFailed("A cap is {period, times}.", code="invalid_caps", field=field)
        if cap["period"] not in PERIODS or cap["period"] in seen:
            raise ValidationFailed(
                f"period is one of {', '.join(PERIODS)}, each at most once.",
                code="invalid_caps",
                field=f"{field}.period",
            )
        seen.add(cap["period"])
        times = _whole(cap["times"], f"{field}.times", MAX_TIMES, "invalid_caps")
        out.append({"period": cap["period"], "times": times})
    return out


def check_code_spec(value: Any) -> dict[str, Any]:
    value = {} if value is None else value
    _fields(value, set(CODE_FIELDS), "code", "{prefix, length}", "invalid_code_spec")
    spec = codes.check_spec(value, "code")
    return {"prefix": spec.prefix, "length": spec.length or codes.DEFAULT_LENGTH}


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"A name of 1 to {NAME_MAX_LENGTH} characters.", code="invalid_name", field="name"
        )
    return value.strip()


def _loyalty_program(workspace: Workspace, value: Any) -> Program | None:
    if value is None:
        return None
    key = check_object_id(value, "loyalty_program_id")
    try:
        return get_loyalty_program(workspace, key)
    except NotFound as exc:
        raise ValidationFailed(
            f"No loyalty program {key!r}.", code="program_not_found", field="loyalty_program_id"
        ) from exc


def check_program(
    workspace: Workspace, data: Mapping[str, Any], current: ReferralProgram | None = None
) -> dict[str, Any]:
    """The program fields present in `data`, checked (all of them for a new program), and
    checked together: a points reward needs a loyalty program."""
    partial = current is not None
    if partial:
        refuse_nulls(data, NOT_NULL)
    clean: dict[str, Any] = {}
    if "name" in data or not partial:
        clean["name"] = _check_name(data.get("name"))
    if "status" in data:
        if data["status"] not in ProgramStatus.values:
            raise ValidationFailed(
                "status is active or paused.", code="invalid_status", field="status"
            )
        clean["status"] = data["status"]
    if "loyalty_program_id" in data or not partial:
        clean["loyalty_program"] = _loyalty_program(workspace, data.get("loyalty_program_id"))
    for side in ("referrer_reward", "referee_reward"):
        if side in data or not partial:
            clean[side] = check_reward(workspace, data.get(side), side)
    if "conversion" in data or not partial:
        clean["conversion"] = check_conversion(data.get("conversion"))
    if "attribution" in data or not partial:
        attribution = data.get("attribution", Attribution.BOTH)
        if attribution not in Attribution.values:
            raise ValidationFailed(
                "attribution is signup, first_order or both.",
                code="invalid_attribution",
                field="attribution",
            )
        clean["attribution"] = attribution
    if "caps" in data or not partial:
        clean["caps"] = check_caps(data.get("caps", []))
    if "code" in data or not partial:
        clean["code_spec"] = check_code_spec(data.get("code"))
    loyalty = clean.get("loyalty_program", current.loyalty_program if current else None)
    for side in ("referrer_reward", "referee_reward"):
        reward = clean.get(side, getattr(current, side) if current else None)
        if reward is not None and reward["type"] == "points" and loyalty is None:
            raise InvalidReward(
                "A points reward is credited in a loyalty program: give loyalty_program_id.",
                field="loyalty_program_id" if "loyalty_program" in clean else f"{side}.type",
            )
    return clean


def snapshot(program: ReferralProgram) -> dict[str, Any]:
    loyalty = program.loyalty_program
    return {
        "id": program.key,
        "name": program.name,
        "status": program.status,
        "loyalty_program_id": loyalty.key if loyalty is not None else None,
        "referrer_reward": program.referrer_reward,
        "referee_reward": program.referee_reward,
        "conversion": program.conversion,
        "attribution": program.attribution,
        "caps": program.caps,
        "code": program.code_spec,
    }


def create_program(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> ReferralProgram:
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("referral")
    clean = check_program(workspace, data)
    with transaction.atomic(savepoint=False):
        program = insert_new(
            ProgramExists(f"A referral program {key!r} exists already.", field="id"),
            ReferralProgram(workspace=workspace, key=key, **clean),
            workspace=workspace,
            key=key,
        )
        audit.record(
            workspace,
            actor,
            "referral_program.created",
            "referral_program",
            key,
            after=audit.jsonable(snapshot(program)),
        )
    return program


def get_program(workspace: Workspace, key: str, *, lock: bool = False) -> ReferralProgram:
    if lock:
        program = lock_program(workspace.pk, key)
    else:
        program = one_or_none(
            ReferralProgram.objects.for_workspace(workspace)
            .filter(key=key)
            .select_related("loyalty_program")
        )
    if program is None:
        raise ProgramNotFound(f"No referral program {key!r}.", field="program_id")
    return program


def update_program(
    workspace: Workspace, key: str, data: Mapping[str, Any], actor: Actor
) -> ReferralProgram:
    """Change a program; pending referrals convert under the program as it is then."""
    with transaction.atomic(savepoint=False):
        program = get_program(workspace, key, lock=True)
        clean = check_program(workspace, data, program)
        before = audit.jsonable(snapshot(program))
        for name, value in clean.items():
            setattr(program, name, value)
        after = audit.jsonable(snapshot(program))
        if after != before:
            program.updated_at = now()
            program.save()
            audit.record(
                workspace,
                actor,
                "referral_program.updated",
                "referral_program",
                key,
                before=before,
                after=after,
            )
    return program
