from decimal import Decimal

import pytest

from kizuna.core.errors import ValidationFailed
from kizuna.core.money import MINOR_UNITS, check_amount, check_currency, format_amount


def test_minor_units_of_common_currencies() -> None:
    assert MINOR_UNITS["USD"] == 2
    assert MINOR_UNITS["JPY"] == 0
    assert MINOR_UNITS["KRW"] == 0
    assert MINOR_UNITS["KWD"] == 3
    assert len(MINOR_UNITS) > 150


@pytest.mark.parametrize("code", ["usd", "XXX", "", "US", 840, None])
def test_unknown_currencies_are_refused(code: object) -> None:
    with pytest.raises(ValidationFailed) as info:
        check_currency(code)
    assert info.value.code == "invalid_currency"
    assert info.value.field == "currency"


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.5", "USD", Decimal("12.50")),
        ("1200", "JPY", Decimal("1200")),
        (7, "USD", Decimal("7.00")),
        ("0.125", "KWD", Decimal("0.125")),
    ],
)
def test_amounts_are_quantized_to_the_currency(
    value: object, currency: str, expected: Decimal
) -> None:
    amount = check_amount(value, currency, field="total")
    assert amount == expected
    assert amount.as_tuple().exponent == -MINOR_UNITS[currency]


@pytest.mark.parametrize(
    ("value", "currency", "code"),
    [
        ("12.345", "USD", "too_many_decimal_places"),
        ("100.5", "JPY", "too_many_decimal_places"),
        ("-1.00", "USD", "negative_amount"),
        ("abc", "USD", "invalid_amount"),
        ("NaN", "USD", "invalid_amount"),
        ("Infinity", "USD", "invalid_amount"),
        (1.5, "USD", "invalid_amount"),
        (True, "USD", "invalid_amount"),
        ("1" * 20, "USD", "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused(value: object, currency: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        check_amount(value, currency, field="items[0].unit_price")
    assert info.value.code == code
    assert info.value.field == "items[0].unit_price"


def test_format_amount_keeps_minor_units() -> None:
    assert format_amount(Decimal("5"), "USD") == "5.00"
    assert format_amount(Decimal("5"), "JPY") == "5"
