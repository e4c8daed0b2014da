"""Customers, consent, orders, refunds and custom events: the rules. Functions named
`check_*` validate and raise; the others write, inside one transaction each."""

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.core.money import (
    MAX_AMOUNT,
    check_amount,
    check_currency,
    format_amount,
    round_amount,
)
from kizuna.customers import events
from kizuna.customers.errors import (
    AttributeTypeMismatch,
    CustomerExists,
    CustomerNotFound,
    ErasedCustomer,
    InvalidStatusTransition,
    OrderNotFound,
    RefundConflict,
    RefundExceedsOrder,
    TotalsMismatch,
)
from kizuna.customers.models import (
    AttributeDefinition,
    AttributeType,
    Consent,
    ConsentChange,
    ConsentChannel,
    ConsentStatus,
    Customer,
    CustomerErasure,
    CustomerImport,
    CustomEvent,
    Order,
    OrderItem,
    OrderStatus,
    Refund,
    RefundItem,
    TimelineEntry,
    infer_attribute_type,
)

# Used with fullmatch: '$' alone would let a trailing newline through, and '\d' any
# script's digits.
EXTERNAL_ID = re.compile(r"[^\s/?#%\\]{1,128}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
ATTRIBUTE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,99}")
MAX_ATTRIBUTES = 100
# The earliest year of a birthdate or of a time sent by a client.
MIN_YEAR = 1900
MAX_ATTRIBUTE_STRING = 1000
MAX_ATTRIBUTE_NUMBER = 1e15
# Clock skew allowed on times sent by clients; anything later is a mistake (often a local time
# sent with the wrong offset) and is refused rather than stored as the future.
FUTURE_TOLERANCE = timedelta(minutes=5)
PROFILE_MAX_LENGTHS = {
    "email": 254,
    "phone": 32,
    "first_name": 100,
    "last_name": 100,
    "locale": 35,
    "timezone": 64,
}
PROFILE_STRING_FIELDS = ("email", "phone", "first_name", "last_name", "locale", "timezone")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


# ------------------------------------------------------------------ validation


# Paths under /customers/ that are not customers: a customer cannot take these ids, or it
# could never be addressed.
RESERVED_CUSTOMER_IDS = frozenset({"export", "import", "imports"})


def check_external_id(value: str, field: str) -> str:
    """A customer's external id: usable in a URL path, and not a reserved word."""
    if not isinstance(value, str) or not EXTERNAL_ID.fullmatch(value):
        raise ValidationFailed(
            "Ids are 1 to 128 characters without spaces, '/', '?', '#', '%' or '\\'.",
            code="invalid_external_id",
            field=field,
        )
    if value.lower() in RESERVED_CUSTOMER_IDS:
        raise ValidationFailed(
            f"{value!r} is reserved by the API and cannot be a customer id.",
            code="reserved_external_id",
            field=field,
        )
    return value


def check_email(value: str, field: str = "email") -> str:
    value = value.strip()
    if value == "":
        return ""
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            f"{value[:80]!r} is not an email address.", code="invalid_email", field=field
        ) from exc
    return value.lower()


def check_profile(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Validate the profile fields present in `data`; None clears a field."""
    clean: dict[str, Any] = {}
    for name in PROFILE_STRING_FIELDS:
        if name not in data:
            continue
        value = data[name]
        clean[name] = "" if value is None else str(value).strip()
        limit = PROFILE_MAX_LENGTHS[name]
        if len(clean[name]) > limit:
            raise ValidationFailed(
                f"{name} is at most {limit} characters.", code="too_long", field=prefix + name
            )
    field = lambda name: prefix + name  # noqa: E731
    if clean.get("email"):
        clean["email"] = check_email(clean["email"], field("email"))
    if clean.get("phone") and not _PHONE.fullmatch(clean["phone"]):
        raise ValidationFailed(
            "Phone numbers are in E.164 form, such as +819012345678.",
            code="invalid_phone",
            field=field("phone"),
        )
    if clean.get("locale") and not _LOCALE.fullmatch(clean["locale"]):
        raise ValidationFailed(
            "Locales are BCP 47 tags such as en, ja or ko-KR.",
            code="invalid_locale",
            field=field("locale"),
        )
    if clean.get("timezone") and clean["timezone"] not in _timezones():
        raise ValidationFailed(
            "Time zones are IANA names such as Asia/Tokyo.",
            code="invalid_timezone",
            field=field("timezone"),
        )
    if "birthdate" in data:
        birthdate = data["birthdate"]
        if birthdate is not None:
            if not isinstance(birthdate, date) or isinstance(birthdate, datetime):
                raise ValidationFailed(
                    "birthdate is a date such as 1990-04-01.",
                    code="invalid_date",
                    field=field("birthdate"),
                )
            if birthdate > now().date() or birthdate.year < MIN_YEAR:
                raise ValidationFailed(
                    f"birthdate must be a past date from {MIN_YEAR} on.",
                    code="invalid_birthdate",
                    field=field("birthdate"),
                )
        clean["birthdate"] = birthdate
    return clean


def _check_attribute_value(key: str, value: Any, declared: str | None, field: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationFailed("Numbers must be finite.", code="invalid_number", field=field)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) >= MAX_ATTRIBUTE_NUMBER
    ):
        raise ValidationFailed("The number is too large.", code="invalid_number", field=field)
    if not isinstance(value, str | bool | int | float):
        raise ValidationFailed(
            "Attribute values are strings, numbers, booleans or dates (YYYY-MM-DD).",
            code="invalid_attribute_value",
            field=field,
        )
    inferred = infer_attribute_type(value)
    if declared == AttributeType.STRING and inferred == AttributeType.DATE:
        inferred = AttributeType.STRING
    if declared is not None and declared != inferred:
        raise AttributeTypeMismatch(
            f"Attribute {key!r} holds {declared} values; got {inferred}.", field=field
        )
    if inferred == AttributeType.DATE and isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationFailed(
                f"{value!r} is not a real date.", code="invalid_date", field=field
            ) from exc
    if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_STRING:
        raise ValidationFailed(
            f"Attribute strings are at most {MAX_ATTRIBUTE_STRING} characters.",
            code="too_long",
            field=field,
        )
    return value


def merge_attributes(
    workspace: Workspace, current: Mapping[str, Any], incoming: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """Merge `incoming` into `current` (None deletes a key). New keys get a type, which later
    writes must respect. Call inside a transaction: definitions are created as needed.

    Everything is checked before anything is written: the number of keys, the names, then
    the values against the types already declared. The missing definitions are then created
    in one statement, in key order, so that concurrent writers of the same new keys wait on
    each other in one order and never deadlock. Their types are read back (another writer
    may have defined a key first) and the values written to them are checked again."""
    attributes_field = f"{prefix}attributes"
    too_many = ValidationFailed(
        f"A customer has at most {MAX_ATTRIBUTES} attributes.",
        code="too_many_attributes",
        field=attributes_field,
    )
    if len(incoming) > MAX_ATTRIBUTES:
        raise too_many
    for key in incoming:
        if not ATTRIBUTE_KEY.fullmatch(key):
            raise ValidationFailed(
                "Attribute names start with a letter and use letters, digits and '_' (at most 64).",
                code="invalid_attribute_name",
                field=f"{attributes_field}.{key}",
            )
    merged = dict(current)
    written: dict[str, Any] = {}
    for key, value in incoming.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = written[key] = value
    if len(merged) > MAX_ATTRIBUTES:
        raise too_many
    if not written:
        return merged
    definitions = AttributeDefinition.objects.for_workspace(workspace)
    declared: dict[str, str] = dict(
        definitions.filter(key__in=list(written)).values_list("key", "type")
    )
    for key, value in written.items():
        _check_attribute_value(key, value, declared.get(key), f"{attributes_field}.{key}")
    missing = sorted(key for key in written if key not in declared)
    if missing:
        AttributeDefinition.objects.bulk_create(
            [
                AttributeDefinition(
                    workspace=workspace, key=key, type=infer_attribute_type(written[key])
                )
                for key in missing
            ],
            ignore_conflicts=True,
        )
        declared.update(definitions.filter(key__in=missing).values_list("key", "type"))
        for key in missing:
            _check_attribute_value(key, written[key], declared[key], f"{attributes_field}.{key}")
    return merged


def check_consents(consents: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    clean: dict[str, dict[str, Any]] = {}
    for channel, consent in consents.items():
        field = f"{prefix}consents.{channel}"
        if channel not in ConsentChannel.values:
            raise ValidationFailed(
                f"Unknown consent channel; use one of {', '.join(ConsentChannel.values)}.",
                code="unknown_consent_channel",
                field=field,
            )
        status = consent.get("status") if isinstance(consent, Mapping) else None
        if status not in ConsentStatus.values:
            raise ValidationFailed(
                "Consent status is granted, denied or pending.",
                code="invalid_consent_status",
                field=f"{field}.status",
            )
        updated_at = check_occurred_at(consent.get("updated_at"), f"{field}.updated_at")
        clean[channel] = {"status": status, "updated_at": updated_at}
    return clean


# ------------------------------------------------------------------ timeline


def add_timeline_entry(
    customer: Customer, kind: str, object_id: str, occurred_at: datetime, summary: dict[str, Any]
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        workspace_id=customer.workspace_id,
        customer=customer,
        kind=kind,
        object_id=object_id,
        occurred_at=occurred_at,
        summary=summary,
    )


# ------------------------------------------------------------------ customers


@dataclass(frozen=True)
class CustomerChanges:
    profile: dict[str, Any]
    attributes: dict[str, Any] | None
    consents: dict[str, dict[str, Any]] | None


def check_customer_changes(data: Mapping[str, Any], prefix: str = "") -> CustomerChanges:
    attributes = data.get("attributes")
    consents = data.get("consents")
    return CustomerChanges(
        profile=check_profile(data, prefix),
        attributes=dict(attributes) if attributes is not None else None,
        consents=check_consents(consents, prefix) if consents is not None else None,
    )


def _apply_consents(
    customer: Customer, consents: Mapping[str, dict[str, Any]], source: str
) -> list[str]:
    changed = []
    current = {c.channel: c for c in Consent.objects.filter(customer=customer)}
    for channel, wanted in consents.items():
        existing = current.get(channel)
        if existing is not None and (
            existing.status == wanted["status"] or existing.updated_at > wanted["updated_at"]
        ):
            continue  # no change, or older news than what we hold
        previous = existing.status if existing else None
        if existing is None:
            Consent.objects.create(
                workspace_id=customer.workspace_id,
                customer=customer,
                channel=channel,
                status=wanted["status"],
                updated_at=wanted["updated_at"],
            )
        else:
            existing.status = wanted["status"]
            existing.updated_at = wanted["updated_at"]
            existing.save(update_fields=["status", "updated_at"])
        ConsentChange.objects.create(
            workspace_id=customer.workspace_id,
            customer=customer,
            channel=channel,
            status=wanted["status"],
            previous_status=previous or "",
            source=source,
            occurred_at=wanted["updated_at"],
        )
        add_timeline_entry(
            customer,
            "consent",
            channel,
            wanted["updated_at"],
            {"channel": channel, "status": wanted["status"], "previous_status": previous},
        )
        outbox.emit(
            customer.workspace,
            events.ConsentChanged(
                customer_id=customer.external_id,
                channel=channel,
                status=wanted["status"],
                previous_status=previous,
            ),
        )
        changed.append(f"consents.{channel}")
    return changed


def _apply_changes(
    workspace: Workspace, customer: Customer, changes: CustomerChanges, source: str
) -> list[str]:
    changed: list[str] = []
    for name, value in changes.profile.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if changes.attributes is not None:
        merged = merge_attributes(workspace, customer.attributes, changes.attributes)
        if merged != customer.attributes:
            customer.attributes = merged
            changed.append("attributes")
    if changes.consents:
        changed += _apply_consents(customer, changes.consents, source)
    if changed:
        customer.updated_at = now()
        customer.save()
    return changed


def _insert_customer(
    workspace: Workspace, external_id: str, changes: CustomerChanges, source: str
) -> Customer:
    """Insert in a savepoint; IntegrityError means someone else inserted it first."""
    with transaction.atomic():
        customer = Customer(workspace=workspace, external_id=external_id, **changes.profile)
        if changes.attributes:
            customer.attributes = merge_attributes(workspace, {}, changes.attributes)
        customer.save(force_insert=True)
    # customer.created goes first: subscribers hear of the customer before of their consent.
    outbox.emit(workspace, events.CustomerCreated(customer_id=external_id, source=source))
    if changes.consents:
        _apply_consents(customer, changes.consents, source)
    return customer


def create_customer(
    workspace: Workspace, external_id: str, data: Mapping[str, Any], source: str = "api"
) -> Customer:
    check_external_id(external_id, "external_id")
    changes = check_customer_changes(data)
    with transaction.atomic():
        try:
            return _insert_customer(workspace, external_id, changes, source)
        except IntegrityError as exc:
            raise CustomerExists(
                f"A customer with external_id {external_id!r} exists already.",
                field="external_id",
            ) from exc


def upsert_customer(
    workspace: Workspace, external_id: str, data: Mapping[str, Any], source: str = "api"
) -> tuple[Customer, bool, list[str]]:
    """Create the customer, or merge the given fields into the existing one.
    Returns (customer, created, changed field names)."""
    check_external_id(external_id, "customer_id")
    changes = check_customer_changes(data)
    with transaction.atomic():
        customer = _lock_customer(workspace, external_id)
        if customer is None:
            try:
                return _insert_customer(workspace, external_id, changes, source), True, []
            except IntegrityError:
                customer = _lock_customer(workspace, external_id)
                assert customer is not None
        check_not_erased(customer, "customer_id")
        changed = _apply_changes(workspace, customer, changes, source)
        if changed:
            outbox.emit(workspace, events.CustomerUpdated(customer_id=external_id, changed=changed))
        return customer, False, changed


def update_customer(
    workspace: Workspace, external_id: str, data: Mapping[str, Any], source: str = "api"
) -> Customer:
    changes = check_customer_changes(data)
    with transaction.atomic():
        customer = _lock_customer(workspace, external_id)
        if customer is None:
            raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
        check_not_erased(customer, "customer_id")
        changed = _apply_changes(workspace, customer, changes, source)
        if changed:
            outbox.emit(workspace, events.CustomerUpdated(customer_id=external_id, changed=changed))
        return customer


def check_not_erased(customer: Customer, field: str) -> None:
    """An erased customer's row keeps the books (orders, refunds) under a generated id; no
    new personal data or facts may be written to it."""
    if customer.erased_at is not None:
        raise ErasedCustomer(
            f"Customer {customer.external_id!r} was erased; its row only keeps the orders "
            "and refunds it had. Use another customer id.",
            field=field,
        )


def _lock_customer(workspace: Workspace, external_id: str) -> Customer | None:
    return (
        Customer.objects.for_workspace(workspace)
        .select_for_update()
        .filter(external_id=external_id)
        .first()
    )


def ensure_customer(
    workspace: Workspace, external_id: str, email: str | None, source: str, prefix: str = ""
) -> Customer:
    """The customer an order or event belongs to, created on first sight. Concurrent first
    sightings create one customer (the unique constraint decides, the loser re-reads).

    The row is locked (FOR NO KEY UPDATE: concurrent orders and events of one customer take
    it in turn) so that an erasure, which takes the same lock, never runs between this read
    and the caller's insert: the new order or event is either seen and scrubbed by the erasure,
    or arrives after it and finds no customer under the old id (a new customer is created:
    the person came back)."""
    customer = (
        Customer.objects.for_workspace(workspace)
        .select_for_update(no_key=True)
        .filter(external_id=external_id)
        .first()
    )
    if customer is not None:
        check_not_erased(customer, prefix + "customer_id")
        return customer
    check_external_id(external_id, prefix + "customer_id")
    data = {"email": email} if email else {}
    changes = CustomerChanges(profile=check_profile(data, prefix), attributes=None, consents=None)
    try:
        return _insert_customer(workspace, external_id, changes, source)
    except IntegrityError:
        return Customer.objects.for_workspace(workspace).get(external_id=external_id)


# ------------------------------------------------------------------ orders


@dataclass(frozen=True)
class CheckedItem:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class CheckedOrder:
    external_id: str
    customer_id: str
    email: str | None
    status: str
    currency: str
    total: Decimal
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    prices_include_tax: bool
    channel: str
    location: str
    occurred_at: datetime
    items: list[CheckedItem]
    metadata: dict[str, Any]


def check_occurred_at(value: datetime | None, field: str = "occurred_at") -> datetime:
    """When something a client reports happened: now when not given; otherwise an aware
    time from MIN_YEAR on and not in the future (beyond FUTURE_TOLERANCE). In UTC."""
    if value is None:
        return now()
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationFailed(
            "Times need an offset, such as 2026-05-01T10:00:00+09:00.",
            code="datetime_without_offset",
            field=field,
        )
    if value.year < MIN_YEAR:
        raise ValidationFailed(
            f"Times are from {MIN_YEAR} on.", code="invalid_datetime", field=field
        )
    if value > now() + FUTURE_TOLERANCE:
        raise ValidationFailed("The time is in the future.", code="occurred_in_future", field=field)
    return value.astimezone(now().tzinfo)


def check_order(data: Mapping[str, Any]) -> CheckedOrder:
    currency = check_currency(data.get("currency"))

    def amount(name: str, default: str | None = "0") -> Decimal:
        value = data.get(name)
        return check_amount(default if value is None else value, currency, field=name)

    total = amount("total", None)
    discount = amount("discount_total")
    shipping = amount("shipping_total")
    tax = amount("tax_total")
    include_tax = bool(data.get("prices_include_tax", False))
    items = []
    for i, item in enumerate(data.get("items") or []):
        items.append(
            CheckedItem(
                sku=item["sku"],
                name=item.get("name", ""),
                category=item.get("category", ""),
                quantity=item["quantity"],
                unit_price=check_amount(
                    item["unit_price"], currency, field=f"items[{i}].unit_price"
                ),
            )
        )
    items_sum = sum((it.unit_price * it.quantity for it in items), Decimal(0))
    if data.get("subtotal") is not None:
        subtotal = amount("subtotal")
        if items and subtotal != items_sum:
            raise TotalsMismatch(
                f"subtotal {format_amount(subtotal, currency)} is not the sum of the items "
                f"({format_amount(items_sum, currency)}).",
                field="subtotal",
            )
    elif items:
        subtotal = items_sum
    else:
        subtotal = total + discount - shipping - (Decimal(0) if include_tax else tax)
        if subtotal < 0:
            raise TotalsMismatch("total is less than shipping and tax.", field="total")
    if subtotal >= MAX_AMOUNT:
        raise ValidationFailed(
            "The subtotal is too large.",
            code="amount_too_large",
            field="subtotal" if data.get("subtotal") is not None or not items else "items",
        )
    if discount > subtotal:
        raise TotalsMismatch("discount_total exceeds the subtotal.", field="discount_total")
    expected = subtotal - discount + shipping + (Decimal(0) if include_tax else tax)
    if expected != total:
        formula = "subtotal - discount_total + shipping_total" + (
            "" if include_tax else " + tax_total"
        )
        raise TotalsMismatch(
            f"total {format_amount(total, currency)} does not equal {formula} "
            f"({format_amount(expected, currency)}).",
            field="total",
        )
    return CheckedOrder(
        external_id=data["external_id"],
        customer_id=data["customer_id"],
        email=data.get("email"),
        status=data.get("status") or OrderStatus.PAID,
        currency=currency,
        total=total,
        subtotal=subtotal,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        prices_include_tax=include_tax,
        channel=data.get("channel") or "online",
        location=data.get("location") or "",
        occurred_at=check_occurred_at(data.get("occurred_at")),
        items=items,
        metadata=dict(data.get("metadata") or {}),
    )


def record_order(workspace: Workspace, data: Mapping[str, Any]) -> tuple[Order, bool]:
    """Store an order once. A known external_id returns the stored order untouched."""
    checked = check_order(data)
    with transaction.atomic():
        existing = (
            Order.objects.for_workspace(workspace).filter(external_id=checked.external_id).first()
        )
        if existing is not None:
            return existing, False
        customer = ensure_customer(workspace, checked.customer_id, checked.email, source="order")
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    workspace=workspace,
                    customer=customer,
                    external_id=checked.external_id,
                    status=checked.status,
                    currency=checked.currency,
                    total=checked.total,
                    subtotal=checked.subtotal,
                    discount_total=checked.discount_total,
                    shipping_total=checked.shipping_total,
                    tax_total=checked.tax_total,
                    prices_include_tax=checked.prices_include_tax,
                    channel=checked.channel,
                    location=checked.location,
                    occurred_at=checked.occurred_at,
                    metadata=checked.metadata,
                )
        except IntegrityError:
            return Order.objects.for_workspace(workspace).get(
                external_id=checked.external_id
            ), False
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                position=i,
                sku=it.sku,
                name=it.name,
                category=it.category,
                quantity=it.quantity,
                unit_price=it.unit_price,
            )
            for i, it in enumerate(checked.items)
        )
        add_timeline_entry(
            customer,
            "order",
            order.external_id,
            order.occurred_at,
            {
                "status": order.status,
                "currency": order.currency,
                "total": format_amount(order.total, order.currency),
                "items": sum(it.quantity for it in checked.items),
                "channel": order.channel,
            },
        )
        outbox.emit(
            workspace,
            events.OrderCreated(
                order_id=order.external_id,
                customer_id=customer.external_id,
                status=order.status,
                currency=order.currency,
                total=format_amount(order.total, order.currency),
            ),
        )
    return order, True


ALLOWED_TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.CANCELLED},
    OrderStatus.CANCELLED: set(),
}


def _lock_order(workspace: Workspace, external_id: str) -> Order:
    """The order, locked (its row only). Its customer is read afterwards, in a statement of
    its own, so that it is the committed one: after waiting on the lock (behind an erasure,
    say), a customer joined to the locking query would be the version seen before."""
    order = (
        Order.objects.for_workspace(workspace)
        .select_for_update(of=("self",))
        .filter(external_id=external_id)
        .first()
    )
    if order is None:
        raise OrderNotFound(f"No order {external_id!r}.")
    order.customer = Customer.objects.for_workspace(workspace).get(pk=order.customer_id)
    return order


def change_order_status(workspace: Workspace, external_id: str, status: str) -> tuple[Order, bool]:
    with transaction.atomic():
        order = _lock_order(workspace, external_id)
        if order.status == status:
            return order, False
        if status not in ALLOWED_TRANSITIONS[OrderStatus(order.status)]:
            raise InvalidStatusTransition(
                f"An order that is {order.status} cannot become {status}.", field="status"
            )
        previous = order.status
        order.status = status
        order.updated_at = now()
        order.save(update_fields=["status", "updated_at"])
        add_timeline_entry(
            order.customer,
            "order_status",
            order.external_id,
            order.updated_at,
            {"previous_status": previous, "status": status},
        )
        outbox.emit(
            workspace,
            events.OrderStatusChanged(
                order_id=order.external_id,
                customer_id=order.customer.external_id,
                previous_status=previous,
                status=status,
            ),
        )
    return order, True


def refund_order(
    workspace: Workspace, order_external_id: str, data: Mapping[str, Any]
) -> tuple[Refund, bool]:
    """Refund items or an amount of a paid order, once per refund external_id."""
    items_in = data.get("items")
    amount_in = data.get("amount")
    if (items_in is None) == (amount_in is None):
        raise ValidationFailed(
            "Send either items or amount, not both and not neither.",
            code="refund_items_or_amount",
            field="items" if items_in is not None else "amount",
        )
    occurred_at = check_occurred_at(data.get("occurred_at"))
    with transaction.atomic():
        order = _lock_order(workspace, order_external_id)
        existing = (
            Refund.objects.for_workspace(workspace).filter(external_id=data["external_id"]).first()
        )
        if existing is not None:
            if existing.order_id != order.pk:
                raise RefundConflict(
                    "This refund external_id belongs to another order.", field="external_id"
                )
            return existing, False
        if order.status != OrderStatus.PAID:
            raise ValidationFailed(
                f"Only paid orders can be refunded; this one is {order.status}.",
                code="order_not_paid",
            )
        currency = data.get("currency")
        if currency is not None and currency != order.currency:
            raise ValidationFailed(
                f"The order is in {order.currency}.", code="currency_mismatch", field="currency"
            )
        remaining = order.total - order.refunded_total
        lines: list[tuple[OrderItem, int, Decimal]] = []
        if items_in is not None:
            lines = _allocate_refund_items(order, items_in)
            if remaining <= 0:
                raise RefundExceedsOrder(
                    f"The whole order ({format_amount(order.total, order.currency)} "
                    f"{order.currency}) has been refunded already; nothing is left to refund.",
                    field="items",
                )
            amount = sum((line[2] for line in lines), Decimal(0))
            if amount > remaining:
                lines = _cap_refund_lines(lines, remaining, order.currency)
                amount = remaining
        else:
            amount = check_amount(amount_in, order.currency, field="amount")
            if amount <= 0:
                raise ValidationFailed(
                    "A refund amount must be positive.", code="invalid_amount", field="amount"
                )
            if amount > remaining:
                raise RefundExceedsOrder(
                    f"Only {format_amount(remaining, order.currency)} {order.currency} "
                    "is left to refund.",
                    field="amount",
                )
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    workspace=workspace,
                    order=order,
                    external_id=data["external_id"],
                    amount=amount,
                    currency=order.currency,
                    # No free text about an erased customer (ADR 0012).
                    reason="" if order.customer.erased_at else data.get("reason") or "",
                    occurred_at=occurred_at,
                )
        except IntegrityError as exc:
            raise RefundConflict(
                "This refund external_id was just used by another request.",
                field="external_id",
            ) from exc
        for item, quantity, line_amount in lines:
            RefundItem.objects.create(
                refund=refund,
                order_item=item,
                sku=item.sku,
                quantity=quantity,
                amount=line_amount,
            )
            OrderItem.objects.filter(pk=item.pk).update(
                refunded_quantity=F("refunded_quantity") + quantity
            )
        Order.objects.filter(pk=order.pk).update(
            refunded_total=F("refunded_total") + amount, updated_at=now()
        )
        order.refresh_from_db(fields=["refunded_total", "updated_at"])
        add_timeline_entry(
            order.customer,
            "refund",
            refund.external_id,
            occurred_at,
            {
                "order_id": order.external_id,
                "currency": order.currency,
                "amount": format_amount(amount, order.currency),
            },
        )
        outbox.emit(
            workspace,
            events.OrderRefunded(
                order_id=order.external_id,
                refund_id=refund.external_id,
                customer_id=order.customer.external_id,
                currency=order.currency,
                amount=format_amount(amount, order.currency),
                refunded_total=format_amount(order.refunded_total, order.currency),
            ),
        )
    return refund, True


def _cap_refund_lines(
    lines: list[tuple[OrderItem, int, Decimal]], cap: Decimal, currency: str
) -> list[tuple[OrderItem, int, Decimal]]:
    """Scale the lines' amounts down so that they add up to `cap` (less than their sum), as
    `_allocate_refund_items` prices them: a line gets the scaled running total up to it,
    rounded, minus the scaled running total before it, rounded. The last running total is
    `cap` itself, so the lines add up to it exactly, and none is negative."""
    total = sum((line[2] for line in lines), Decimal(0))
    capped: list[tuple[OrderItem, int, Decimal]] = []
    running = Decimal(0)
    before = Decimal(0)
    for item, quantity, amount in lines:
        running += amount
        upto = round_amount(running * cap / total, currency)
        capped.append((item, quantity, upto - before))
        before = upto
    return capped


def _allocate_refund_items(
    order: Order, items_in: list[Mapping[str, Any]]
) -> list[tuple[OrderItem, int, Decimal]]:
    """Spread the refunded quantities over the order's lines with that SKU, and price the
    units at what the customer paid for them (their share of the discount and tax included).

    A line's amount is what all units refunded so far cost, rounded, minus what the units
    refunded before it cost, rounded: the rounding never drifts, and refunding every unit (in
    any number of refunds) gives back exactly what was paid for the goods."""
    order_items = list(OrderItem.objects.select_for_update().filter(order=order))
    goods_paid = order.total - order.shipping_total

    def paid_for(listed: Decimal) -> Decimal:
        """What the customer paid for goods listed at `listed` before discount and tax."""
        if not order.subtotal:
            return Decimal(0)
        return round_amount(listed * goods_paid / order.subtotal, order.currency)

    listed_refunded = sum(
        (item.unit_price * item.refunded_quantity for item in order_items), Decimal(0)
    )
    left = {item.pk: item.quantity - item.refunded_quantity for item in order_items}
    lines: list[tuple[OrderItem, int, Decimal]] = []
    for i, wanted in enumerate(items_in):
        matching = [item for item in order_items if item.sku == wanted["sku"]]
        if not matching:
            raise ValidationFailed(
                f"The order has no item with SKU {wanted['sku']!r}.",
                code="unknown_sku",
                field=f"items[{i}].sku",
            )
        quantity = wanted["quantity"]
        available = sum(left[item.pk] for item in matching)
        if quantity > available:
            raise RefundExceedsOrder(
                f"Only {available} of SKU {wanted['sku']!r} can still be refunded.",
                field=f"items[{i}].quantity",
            )
        for item in matching:
            take = min(quantity, left[item.pk])
            if take == 0:
                continue
            left[item.pk] -= take
            quantity -= take
            before = listed_refunded
            listed_refunded += item.unit_price * take
            lines.append((item, take, paid_for(listed_refunded) - paid_for(before)))
            if quantity == 0:
                break
    return lines


# ------------------------------------------------------------------ custom events


def record_event(workspace: Workspace, data: Mapping[str, Any]) -> tuple[CustomEvent, bool]:
    name = data["name"]
    if not _EVENT_NAME.fullmatch(name):
        raise ValidationFailed(
            "Event names start with a letter and use letters, digits, '_', '.', ':' or '-'.",
            code="invalid_event_name",
            field="name",
        )
    occurred_at = check_occurred_at(data.get("occurred_at"))
    with transaction.atomic():
        existing = CustomEvent.objects.for_workspace(workspace).filter(client_id=data["id"]).first()
        if existing is not None:
            return existing, False
        customer = ensure_customer(workspace, data["customer_id"], data.get("email"), "event")
        try:
            with transaction.atomic():
                event = CustomEvent.objects.create(
                    workspace=workspace,
                    customer=customer,
                    client_id=data["id"],
                    name=name,
                    properties=dict(data.get("properties") or {}),
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            return CustomEvent.objects.for_workspace(workspace).get(client_id=data["id"]), False
        add_timeline_entry(
            customer,
            "event",
            event.client_id,
            occurred_at,
            {"name": name, "properties": event.properties},
        )
        outbox.emit(
            workspace,
            events.CustomEventRecorded(
                event_id=event.client_id, name=name, customer_id=customer.external_id
            ),
        )
    return event, True


# ------------------------------------------------------------------ erasure

ERASED_ID_PREFIX = "erased-"
# Timeline kinds that are personal data as a whole (a copy of the consent history, which the
# erasure deletes), and the summary keys of other kinds that may hold personal data (free
# text sent by the integrator). Other kinds (orders, statuses, refunds) hold amounts and
# states only. Later apps that add kinds with personal data add them here.
ERASED_TIMELINE_KINDS = frozenset({"consent"})
ERASED_SUMMARY_KEYS = {"event": ("properties",)}
ERASED_IMPORT_ERROR_MESSAGE = "Removed: the customer's personal data was erased."


def external_id_sha256(external_id: str) -> str:
    """What an erasure keeps of the erased id: enough to recognise a repeated request."""
    return hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def erase_customer(workspace: Workspace, external_id: str) -> tuple[CustomerErasure, bool]:
    """Erase the personal data of the customer known as `external_id` (ADR 0012). Returns
    (erasure, erased now). Idempotent: for an id already erased (found by the SHA-256 of the
    id, or for the anonymised row's own id) it returns the earlier erasure and writes
    nothing. An id never seen is CustomerNotFound.

    Erased: the profile, attributes, consents and their history (with their timeline
    entries), custom-event properties (also in the timeline), order metadata and location,
    refund reasons, the id in import reports and in the outbox. Kept, on the anonymised
    row under a generated id: orders, items and refunds with every amount, events with
    their names and times, and the other timeline entries."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: waits for the orders and events being recorded for the customer
        # (ensure_customer takes the same lock), but not for refunds or status changes of
        # its orders, which only reference the row.
        customer = (
            Customer.objects.for_workspace(workspace)
            .select_for_update(no_key=True)
            .filter(external_id=external_id)
            .first()
        )
        if customer is not None and customer.erased_at is not None:
            earlier = customer.erasures.order_by("-erased_at").first()
            if earlier is not None:
                return earlier, False
        if customer is None:
            earlier = (
                CustomerErasure.objects.for_workspace(workspace)
                .filter(external_id_sha256=external_id_sha256(external_id))
                .order_by("-erased_at")
                .first()
            )
            if earlier is None:
                raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
            return earlier, False
        return _erase(workspace, customer), True


def _erase(workspace: Workspace, customer: Customer) -> CustomerErasure:
    erased_at = now()
    original_id = customer.external_id
    # The orders first: a refund or status change in progress holds its order and then
    # references the customer row (KEY SHARE), which the lock taken so far allows; the
    # customer's new external_id below needs the row's strongest lock, taken once no such
    # writer can be left (they all wait on the orders now held).
    orders = Order.objects.filter(customer=customer)
    # Every order changes: its customer_id is the generated one from now on.
    orders.update(metadata={}, location="", updated_at=erased_at)
    Refund.objects.filter(order__in=orders).update(reason="")
    CustomEvent.objects.filter(customer=customer).update(properties={})
    Consent.objects.filter(customer=customer).delete()
    ConsentChange.objects.filter(customer=customer).delete()
    timeline = TimelineEntry.objects.filter(customer=customer)
    timeline.filter(kind__in=ERASED_TIMELINE_KINDS).delete()
    scrubbed: list[TimelineEntry] = []
    for entry in timeline.filter(kind__in=list(ERASED_SUMMARY_KEYS)).iterator():
        keys = [key for key in ERASED_SUMMARY_KEYS[entry.kind] if entry.summary.get(key)]
        if keys:
            entry.summary = {**entry.summary, **{key: {} for key in keys}}
            scrubbed.append(entry)
    TimelineEntry.objects.bulk_update(scrubbed, ["summary"], batch_size=500)

    customer.external_id = f"{ERASED_ID_PREFIX}{secrets.token_hex(12)}"
    for name in PROFILE_STRING_FIELDS:
        setattr(customer, name, "")
    customer.birthdate = None
    customer.attributes = {}
    customer.erased_at = erased_at
    customer.updated_at = erased_at
    customer.save()
    _erase_id_from_outbox(workspace, original_id, customer.external_id)
    _erase_id_from_import_reports(workspace, original_id)

    erasure = CustomerErasure.objects.create(
        workspace=workspace,
        customer=customer,
        external_id_sha256=external_id_sha256(original_id),
        erased_at=erased_at,
    )
    add_timeline_entry(customer, "erasure", str(erasure.pk), erased_at, {})
    # The time as the API writes it (milliseconds, Z), so it equals the erase call's answer.
    time = DjangoJSONEncoder().default(erased_at)
    outbox.emit(workspace, events.CustomerErased(erasure_id=str(erasure.pk), erased_at=time))
    return erasure


def _erase_id_from_outbox(workspace: Workspace, original_id: str, new_id: str) -> None:
    """Earlier events name the customer by the erased id; they name the anonymised row now
    (dispatched ones stay in the outbox, and pending ones have not been sent yet)."""
    types = [name for name, cls in outbox.EVENT_TYPES.items() if "customer_id" in cls.model_fields]
    stored = OutboxEvent.objects.for_workspace(workspace).filter(
        type__in=types, payload__customer_id=original_id
    )
    rewritten = []
    for event in stored.only("id", "payload").iterator():
        event.payload = {**event.payload, "customer_id": new_id}
        rewritten.append(event)
    OutboxEvent.objects.bulk_update(rewritten, ["payload"], batch_size=500)


def _erase_id_from_import_reports(workspace: Workspace, original_id: str) -> None:
    """A rejected import row is reported with its id, and its message may quote the value
    refused: such entries keep their row, field and code only."""
    runs = CustomerImport.objects.for_workspace(workspace).filter(rejected_count__gt=0)
    for run in runs.only("id", "errors").iterator():
        if not any(error.get("external_id") == original_id for error in run.errors):
            continue
        run.errors = [
            {**error, "external_id": None, "message": ERASED_IMPORT_ERROR_MESSAGE}
            if error.get("external_id") == original_id
            else error
            for error in run.errors
        ]
        run.save(update_fields=["errors"])
