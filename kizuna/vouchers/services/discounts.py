"""The effect of a voucher, checked when a campaign is saved (docs/vouchers.md, Discounts):
`amount` off the order (with its currency), `percent` off (0 to 100, optionally capped by
`max_discount`), `unit`: an amount off each item that matches `item_condition`, or
`free_shipping`. Every fault names its path (`discount.percent`)."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kizuna.core import conditions as c
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.core.money import check_amount, check_currency, format_amount

TYPES = ("amount", "percent", "unit", "free_shipping")
FIELDS = {
    "amount": {"type", "amount", "currency"},
    "percent": {"type", "percent", "max_discount", "currency"},
    "unit": {"type", "amount", "currency", "item_condition"},
    "free_shipping": {"type"},
}


def _bad(message: str, field: str, code: str = "invalid_discount") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _positive(value: Any, currency: str, field: str) -> str:
    if value is None:
        raise _bad("The amount is required.", field, "required")
    amount = check_amount(value, currency, field=field)
    if amount <= 0:
        raise _bad("The amount is more than zero.", field)
    return format_amount(amount, currency)


def check_condition(
    value: Any, workspace: Workspace, subjects: tuple[str, ...], field: str
) -> dict[str, Any] | None:
    """A condition in the condition language, checked for these subjects (None: none)."""
    if value is None:
        return None
    c.parse(value, workspace=workspace, subjects=subjects, root=field)
    return dict(value)


def check_discount(value: Any, workspace: Workspace, field: str = "discount") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(f"The discount is an object with a type: {', '.join(TYPES)}.", f"{field}.type")
    kind = value.get("type")
    if kind not in TYPES:
        raise _bad(f"The type is one of {', '.join(TYPES)}.", f"{field}.type")
    unknown = sorted(set(value) - FIELDS[kind])
    if unknown:
        raise _bad(f"A {kind} discount has no {unknown[0]!r}.", f"{field}.{unknown[0]}")
    out: dict[str, Any] = {"type": kind}
    if kind == "free_shipping":
        return out
    currency = value.get("currency")
    if kind != "percent" or value.get("max_discount") is not None:
        if currency is None:
            raise _bad("The currency of the amount is required.", f"{field}.currency", "required")
        out["currency"] = check_currency(currency, field=f"{field}.currency")
    elif currency is not None:
        out["currency"] = check_currency(currency, field=f"{field}.currency")
    if kind in ("amount", "unit"):
        out["amount"] = _positive(value.get("amount"), out["currency"], f"{field}.amount")
    if kind == "unit":
        item_condition = value.get("item_condition")
        if item_condition is None:
            raise _bad(
                "A unit discount names the items it applies to (item_condition).",
                f"{field}.item_condition",
                "required",
            )
        out["item_condition"] = check_condition(
            item_condition, workspace, ("item",), f"{field}.item_condition"
        )
    if kind == "percent":
        out["percent"] = _percent(value.get("percent"), f"{field}.percent")
        if value.get("max_discount") is not None:
            out["max_discount"] = _positive(
                value["max_discount"], out["currency"], f"{field}.max_discount"
            )
    return out


def _percent(value: Any, field: str) -> str:
    if value is None:
        raise _bad("The percent is required.", field, "required")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad("The percent is a number from 0 to 100.", field)
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _bad("The percent is a number from 0 to 100.", field) from exc
    if not percent.is_finite() or not 0 < percent <= 100:
        raise _bad("The percent is more than 0 and at most 100.", field)
    if percent.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _bad("The percent has at most two decimal places.", field)
    return str(int(percent)) if percent == percent.to_integral() else str(percent)
