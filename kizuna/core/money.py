"""Money is a Decimal plus an ISO 4217 code. Amounts never carry more decimals than the
currency's minor unit (JPY 0, USD 2, KWD 3)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

from kizuna.core.errors import ValidationFailed

# Active ISO 4217 currencies and their minor units.
_MINOR_UNITS_SPEC = """
AED2 AFN2 ALL2 AMD2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BHD3 BIF0 BMD2 BND2 BOB2 BRL2
BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHF2 CLP0 CNY2 COP2 CRC2 CUP2 CVE2 CZK2 DJF0 DKK2 DOP2
DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 GEL2 GHS2 GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2
HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2
KZT2 LAK2 LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2
MXN2 MYR2 MZN2 NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2 PYG0 QAR2
RON2 RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SOS2 SRD2 SSP2 STN2 SVC2 SYP2
SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 USD2 UYU2 UYW4 UZS2 VED2 VES2
VND0 VUV0 WST2 XAF0 XCD2 XCG2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2
"""
MINOR_UNITS: dict[str, int] = {token[:3]: int(token[3:]) for token in _MINOR_UNITS_SPEC.split()}
CURRENCIES = frozenset(MINOR_UNITS)
# The smallest unit of each currency as a Decimal exponent (USD: Decimal("0.01")).
_QUANTUM: dict[str, Decimal] = {code: Decimal(1).scaleb(-p) for code, p in MINOR_UNITS.items()}

# Large enough for any real order (up to 10^13 in the major unit), small enough for one column.
MAX_DIGITS = 18
DECIMAL_PLACES = 4
# Every stored amount, computed ones included (a subtotal, a refunded total), stays below this.
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)


def check_currency(code: object, *, field: str = "currency") -> str:
    if not isinstance(code, str) or code not in CURRENCIES:
        raise ValidationFailed(
            f"{code!r} is not an ISO 4217 currency code (such as USD, EUR, JPY, KRW).",
            code="invalid_currency",
            field=field,
        )
    return code


def check_amount(
    value: object,
    currency: str,
    *,
    field: str,
    allow_negative: bool = False,
) -> Decimal:
    """Parse a decimal string (or integer) into a Decimal that fits the currency."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationFailed(
            'Amounts are decimal strings such as "12.50".', code="invalid_amount", field=field
        )
    try:
        amount = value if type(value) is Decimal else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationFailed(
            f"{value!r} is not a decimal amount.", code="invalid_amount", field=field
        ) from exc
    if not amount.is_finite():
        raise ValidationFailed("Amounts must be finite.", code="invalid_amount", field=field)
    if amount < 0 and not allow_negative:
        raise ValidationFailed("Amounts cannot be negative.", code="negative_amount", field=field)
    places = MINOR_UNITS[currency]
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValidationFailed(
            f"{currency} amounts have at most {places} decimal places.",
            code="too_many_decimal_places",
            field=field,
        )
    if abs(amount) >= MAX_AMOUNT:
        raise ValidationFailed("The amount is too large.", code="amount_too_large", field=field)
    return amount.quantize(_QUANTUM[currency])


def format_amount(amount: Decimal, currency: str) -> str:
    return str(amount.quantize(_QUANTUM[currency]))


def round_amount(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (used for computed shares)."""
    return amount.quantize(_QUANTUM[currency], rounding=ROUND_HALF_UP)


def money_field(default: Decimal | None = None) -> "models.DecimalField[Decimal, Decimal]":
    """A model column for an amount of money (its currency is another column)."""
    if default is None:
        return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    return models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=default
    )
