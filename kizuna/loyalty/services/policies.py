"""A program's policies, checked when saved and applied when points are earned: when pending
points become active, when active points expire, and what a refund takes back.

Shapes (API.md):
    pending: null | {"days": N} | {"until_event": "order_delivered"}
    expiry:  {"policy": "none"}
           | {"policy": "rolling", "days" | "months": N, "reset_on_activity": bool}
           | {"policy": "fixed", "period": "month" | "quarter" | "year", "periods_after": N}
    returns: {"clawback": bool, "allow_negative": bool}"""

import calendar
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kizuna.core.errors import ValidationFailed

MAX_DAYS = 3650
MAX_MONTHS = 120
MAX_PERIODS = 40
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,99}")


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_policy", field=field)


def _count(value: Any, field: str, limit: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= limit:
        raise _invalid(f"A whole number from {minimum} to {limit}.", field)
    return value


def check_pending(value: Any, field: str = "pending") -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or len(value) != 1:
        raise _invalid('pending is null, {"days": N} or {"until_event": name}.', field)
    if "days" in value:
        return {"days": _count(value["days"], f"{field}.days", MAX_DAYS)}
    if "until_event" in value:
        name = value["until_event"]
        if not isinstance(name, str) or not _EVENT_NAME.fullmatch(name):
            raise _invalid("An event name, such as order_delivered.", f"{field}.until_event")
        return {"until_event": name}
    raise _invalid('pending is null, {"days": N} or {"until_event": name}.', field)


def check_expiry(value: Any, field: str = "expiry") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid('expiry is an object with a "policy".', field)
    policy = value.get("policy")
    keys = set(value) - {"policy"}
    if policy == "none" and not keys:
        return {"policy": "none"}
    if policy == "rolling":
        if keys - {"days", "months", "reset_on_activity"} or ("days" in value) == (
            "months" in value
        ):
            raise _invalid("A rolling expiry has days or months, and reset_on_activity.", field)
        unit = "days" if "days" in value else "months"
        reset = value.get("reset_on_activity", False)
        if not isinstance(reset, bool):
            raise _invalid("true or false.", f"{field}.reset_on_activity")
        limit = MAX_DAYS if unit == "days" else MAX_MONTHS
        return {
            "policy": "rolling",
            unit: _count(value[unit], f"{field}.{unit}", limit),
            "reset_on_activity": reset,
        }
    if policy == "fixed":
        if keys - {"period", "periods_after"}:
            raise _invalid("A fixed expiry has a period and periods_after.", field)
        period = value.get("period")
        if period not in ("month", "quarter", "year"):
            raise _invalid("month, quarter or year.", f"{field}.period")
        after = _count(value.get("periods_after", 0), f"{field}.periods_after", MAX_PERIODS, 0)
        return {"policy": "fixed", "period": period, "periods_after": after}
    raise _invalid("The expiry policy is none, rolling or fixed.", f"{field}.policy")


def check_returns(value: Any, field: str = "returns") -> dict[str, bool]:
    if value is None:
        return {"clawback": True, "allow_negative": False}
    if not isinstance(value, Mapping) or set(value) - {"clawback", "allow_negative"}:
        raise _invalid('returns is {"clawback": bool, "allow_negative": bool}.', field)
    out = {
        "clawback": value.get("clawback", True),
        "allow_negative": value.get("allow_negative", False),
    }
    for key, flag in out.items():
        if not isinstance(flag, bool):
            raise _invalid("true or false.", f"{field}.{key}")
    return out


# ------------------------------------------------------------------ applying them


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expires_at(expiry: Mapping[str, Any], active_from: datetime, tz: str) -> datetime | None:
    """When points that become active at `active_from` expire under the policy."""
    policy = expiry.get("policy", "none")
    if policy == "rolling":
        if "days" in expiry:
            return active_from + timedelta(days=expiry["days"])
        # The same day of the month in the program's time zone, whose calendar counts.
        local = active_from.astimezone(ZoneInfo(tz))
        return _add_months(local, expiry["months"]).astimezone(active_from.tzinfo)
    if policy == "fixed":
        local = active_from.astimezone(ZoneInfo(tz))
        span = {"month": 1, "quarter": 3, "year": 12}[expiry["period"]]
        start_month = ((local.month - 1) // span) * span + 1
        start = local.replace(month=start_month, day=1, hour=0, minute=0, second=0, microsecond=0)
        end = _add_months(start, span * (expiry["periods_after"] + 1))
        return end.astimezone(active_from.tzinfo)
    return None


def resets_on_activity(expiry: Mapping[str, Any]) -> bool:
    return bool(expiry.get("policy") == "rolling" and expiry.get("reset_on_activity"))


def pending_until(pending: Mapping[str, Any] | None, occurred_at: datetime) -> datetime | None:
    """When points earned by a fact of `occurred_at` become active: None for an event-bound
    wait; `occurred_at` itself (they are active at once) when there is no waiting period."""
    if not pending:
        return occurred_at
    if "days" in pending:
        return occurred_at + timedelta(days=pending["days"])
    return None
