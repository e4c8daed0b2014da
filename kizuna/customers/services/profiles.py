"""Customer profiles: create, update, upsert, and the customer an order or event names."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_external_id
from kizuna.core.models import Workspace
from kizuna.core.times import MIN_YEAR
from kizuna.core.upsert import insert_once
from kizuna.customers import events
from kizuna.customers.errors import CustomerExists, CustomerNotFound, ErasedCustomer
from kizuna.customers.locks import lock_customer, lock_customer_for_facts
from kizuna.customers.models import (
    PROFILE_MAX_LENGTHS,
    PROFILE_STRING_FIELDS,
    AttributeDefinition,
    Customer,
)
from kizuna.customers.services.attributes import check_declared_values, merge_attributes
from kizuna.customers.services.consents import apply_consents, check_consents

_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")

# Paths under /customers/ that are not customers: a customer cannot take these ids, or it
# could never be addressed.
RESERVED_CUSTOMER_IDS = frozenset({"export", "import", "imports"})


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_customer_id(value: str, field: str) -> str:
    """A customer's external id: usable in a URL path, and not a reserved word."""
    check_external_id(value, field)
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


def check_not_erased(customer: Customer, field: str) -> None:
    """An erased customer's row keeps the books (orders, refunds) under a generated id; no
    new personal data or facts may be written to it."""
    if customer.erased_at is not None:
        raise ErasedCustomer(
            f"Customer {customer.external_id!r} was erased; its row only keeps the orders "
            "and refunds it had. Use another customer id.",
            field=field,
        )


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
        changed += apply_consents(customer, changes.consents, source)
    if changed:
        customer.updated_at = now()
        customer.save()
    return changed


def _insert_customer(
    workspace: Workspace, external_id: str, changes: CustomerChanges, source: str
) -> tuple[Customer, bool]:
    """Insert the customer unless the id is taken (then the stored row, and False)."""
    customer = Customer(workspace=workspace, external_id=external_id, **changes.profile)
    if changes.attributes:
        customer.attributes = merge_attributes(workspace, {}, changes.attributes)
    customer, created = insert_once(customer, workspace=workspace, external_id=external_id)
    if not created:
        return customer, False
    # customer.created goes first: subscribers hear of the customer before of their consent.
    outbox.emit(workspace, events.CustomerCreated(customer_id=external_id, source=source))
    if changes.consents:
        apply_consents(customer, changes.consents, source)
    return customer, True


def create_customer(
    workspace: Workspace, external_id: str, data: Mapping[str, Any], source: str = "api"
) -> Customer:
    check_customer_id(external_id, "external_id")
    changes = check_customer_changes(data)
    with transaction.atomic(savepoint=False):
        customer, created = _insert_customer(workspace, external_id, changes, source)
        if not created:
            raise CustomerExists(
                f"A customer with external_id {external_id!r} exists already.",
                field="external_id",
            )
        return customer


def upsert_customer(
    workspace: Workspace, external_id: str, data: Mapping[str, Any], source: str = "api"
) -> tuple[Customer, bool, list[str]]:
    """Create the customer, or merge the given fields into the existing one.
    Returns (customer, created, changed field names)."""
    check_customer_id(external_id, "customer_id")
    changes = check_customer_changes(data)
    with transaction.atomic(savepoint=False):
        customer = lock_customer(workspace, external_id)
        if customer is None:
            customer, created = _insert_customer(workspace, external_id, changes, source)
            if created:
                return customer, True, []
            customer = lock_customer(workspace, external_id)
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
    with transaction.atomic(savepoint=False):
        customer = lock_customer(workspace, external_id)
        if customer is None:
            raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
        check_not_erased(customer, "customer_id")
        changed = _apply_changes(workspace, customer, changes, source)
        if changed:
            outbox.emit(workspace, events.CustomerUpdated(customer_id=external_id, changed=changed))
        return customer


def customer_for_fact(
    workspace: Workspace,
    external_id: str,
    email: str | None,
    source: str,
    recorded: Callable[[], bool],
) -> Customer | None:
    """The customer a new order or event belongs to (as `ensure_customer`), or None when
    `recorded()` says the fact is stored already: then nothing is written.

    A known, live customer (the common case) costs one query and `recorded` is not asked:
    the fact's own insert finds out whether it is new (ON CONFLICT), and a repeated fact
    changes nothing. Before a customer is created, or for an erased one, `recorded` is asked
    first, so that a repeated fact neither creates a customer nor meets the erasure."""
    customer = lock_customer_for_facts(workspace, external_id)
    if customer is not None and customer.erased_at is None:
        return customer
    if recorded():
        return None
    return ensure_customer(workspace, external_id, email, source)


def ensure_customer(
    workspace: Workspace, external_id: str, email: str | None, source: str, prefix: str = ""
) -> Customer:
    """The customer an order or event belongs to, created on first sight. Concurrent first
    sightings create one customer (the unique constraint decides, the other reads it).

    The row is locked for facts (`lock_customer_for_facts`) so that an erasure, which takes
    the same lock, never runs between this read and the caller's insert: the new order or
    event is either seen and scrubbed by the erasure, or arrives after it and finds no
    customer under the old id (a new customer is created: the person came back)."""
    customer = lock_customer_for_facts(workspace, external_id)
    if customer is None:
        check_customer_id(external_id, prefix + "customer_id")
        data = {"email": email} if email else {}
        changes = CustomerChanges(
            profile=check_profile(data, prefix), attributes=None, consents=None
        )
        customer, created = _insert_customer(workspace, external_id, changes, source)
        if created:
            return customer
        customer = lock_customer_for_facts(workspace, external_id)
        assert customer is not None
    check_not_erased(customer, prefix + "customer_id")
    return customer


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as a history import knows it, for `bulk_insert_customers`."""

    external_id: str
    profile: Mapping[str, Any]
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def bulk_insert_customers(
    workspace: Workspace, records: Sequence[CustomerRecord], batch_size: int = 1000
) -> list[Customer]:
    """Insert new customers in bulk, checked as `create_customer` checks them (their
    attributes against types declared beforehand with `attributes.declare_attributes`),
    without events: a bulk path writes history. Returns the rows, in the records' order."""
    declared = dict(AttributeDefinition.objects.for_workspace(workspace).values_list("key", "type"))
    rows = []
    for record in records:
        check_customer_id(record.external_id, "external_id")
        check_declared_values(record.attributes, declared)
        rows.append(
            Customer(
                workspace=workspace,
                external_id=record.external_id,
                attributes=record.attributes,
                created_at=record.created_at,
                updated_at=record.updated_at,
                **check_profile(record.profile),
            )
        )
    return Customer.objects.bulk_create(rows, batch_size=batch_size)
