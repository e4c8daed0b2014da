"""The demo plan: people, their orders, refunds, consents and events, as plain data."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kizuna.demo.catalog import City

PENDING, PAID, CANCELLED = "pending", "paid", "cancelled"
ONLINE, STORE, APP = "online", "store", "app"


@dataclass(slots=True)
class ItemPlan:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal
    refunded_quantity: int = 0


@dataclass(slots=True)
class RefundPlan:
    """A refund by items ([{sku, quantity}]) or by amount (items None), as the refund
    service takes it; `amount` is what it gives back, priced by the same service."""

    items: list[dict[str, Any]] | None
    amount: Decimal
    reason: str
    occurred_at: datetime
    recorded_at: datetime
    external_id: str = ""


@dataclass(slots=True)
class StatusChange:
    previous_status: str
    status: str
    occurred_at: datetime


@dataclass(slots=True)
class OrderPlan:
    customer: "CustomerPlan"
    initial_status: str
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    prices_include_tax: bool
    channel: str
    store_code: str
    location: str
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    items: list[ItemPlan]
    status: str = ""
    changes: list[StatusChange] = field(default_factory=list)
    refunds: list[RefundPlan] = field(default_factory=list)
    refunded_total: Decimal = Decimal(0)
    external_id: str = ""

    @property
    def updated_at(self) -> datetime:
        moments = [c.occurred_at for c in self.changes] + [r.recorded_at for r in self.refunds]
        return max([self.recorded_at, *moments])


@dataclass(slots=True)
class EventPlan:
    client_id: str
    name: str
    properties: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    order: OrderPlan | None = None  # a review names its order once orders are numbered


@dataclass(slots=True)
class ConsentStep:
    channel: str
    status: str
    previous_status: str | None
    source: str
    occurred_at: datetime


@dataclass(slots=True)
class CustomerPlan:
    number: int
    lang: str
    market: str
    city: City
    store: str | None
    app_user: bool
    platform: str
    tea_club: bool
    favorite_tea: str | None
    email: str
    phone: str
    first_name: str
    last_name: str
    birthdate: date | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    consents: list[ConsentStep] = field(default_factory=list)
    orders: list[OrderPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)
    external_id: str = ""


@dataclass
class DemoPlan:
    anchor: datetime
    customers: list[CustomerPlan]
    orders: list[OrderPlan]
    refunds: list[tuple[OrderPlan, RefundPlan]]
    events: list[tuple[CustomerPlan, EventPlan]]

    @property
    def consent_changes(self) -> int:
        return sum(len(c.consents) for c in self.customers)
