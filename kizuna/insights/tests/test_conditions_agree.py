"""The two evaluators agree (issue item 4): random valid conditions over the registered customer,
consent, attribute, order-behaviour and event fields select, in SQL, exactly the customers the
in-memory evaluator selects, for random customers with orders, refunds and events. Runs on
SQLite and on PostgreSQL (the suite runs on both)."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kizuna.core.conditions import Context, evaluate, ops_for, parse
from kizuna.core.conditions.types import TYPES
from kizuna.core.models import Workspace
from kizuna.customers.models import AttributeDefinition, Consent, Customer, CustomEvent
from kizuna.insights.matching import matching_customers
from kizuna.orders.conditions import order_histories
from kizuna.orders.models import Order, OrderItem
from kizuna.orders.services import stats

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_slugs = itertools.count()

ATTRIBUTES = {"city": "string", "age": "number", "vip": "boolean", "since": "date"}
CITIES = ["Osaka", "Seoul", "osaka", "Tokyo"]
AGES: list[Any] = [0, 17, 18, 30, 30.5, -1]
DATES = ["2026-05-01", "2026-04-01", "2025-11-01", "2020-02-29"]
AMOUNTS = ["0.01", "10.00", "33.33", "50.00", "100.00", "250.50"]
SKUS = ["TEA-1", "TEA-2", "CUP-1"]
CATEGORIES = ["tea", "ware", ""]
EVENTS = ["review_posted", "app_opened"]
CHANNELS = ["email_marketing", "sms_marketing"]


# ------------------------------------------------------------------ data


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if draw(st.booleans()):
        attributes["city"] = draw(st.sampled_from(CITIES))
    if draw(st.booleans()):
        attributes["age"] = draw(st.sampled_from(AGES))
    if draw(st.booleans()):
        attributes["vip"] = draw(st.booleans())
    if draw(st.booleans()):
        attributes["since"] = draw(st.sampled_from(DATES))
    orders = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "status": st.sampled_from(["paid", "paid", "pending", "cancelled"]),
                    "currency": st.sampled_from(["USD", "USD", "JPY"]),
                    "total": st.sampled_from(AMOUNTS),
                    "refunded": st.sampled_from([0, 0, 1, 2]),  # none, all, half
                    "days_ago": st.integers(0, 500),
                    "items": st.lists(
                        st.tuples(st.sampled_from(SKUS), st.sampled_from(CATEGORIES)),
                        max_size=3,
                    ),
                }
            ),
            max_size=4,
        )
    )
    return {
        "email": draw(st.sampled_from(["", "a@example.com"])),
        "locale": draw(st.sampled_from(["", "ja", "ja-JP", "ko-KR", "en"])),
        "birthdate": draw(st.sampled_from([None, date(1990, 1, 2), date(2008, 5, 1)])),
        "created_days_ago": draw(st.integers(0, 400)),
        "erased": draw(st.sampled_from([False, False, False, True])),
        "attributes": attributes,
        "consents": draw(
            st.dictionaries(
                st.sampled_from(CHANNELS), st.sampled_from(["granted", "denied", "pending"])
            )
        ),
        "orders": orders,
        "events": draw(
            st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 100)), max_size=3)
        ),
    }


def _refunded(total: str, how: int) -> Decimal:
    amount = Decimal(total)
    return {0: Decimal(0), 1: amount, 2: (amount / 2).quantize(Decimal("0.01"))}[how]


def store(plans: list[dict[str, Any]]) -> tuple[Workspace, list[Customer]]:
    workspace = Workspace.objects.create(
        slug=f"agree-{next(_slugs)}", name="x", default_currency="USD", timezone="Asia/Tokyo"
    )
    AttributeDefinition.objects.bulk_create(
        AttributeDefinition(workspace=workspace, key=k, type=t) for k, t in ATTRIBUTES.items()
    )
    rows = Customer.objects.bulk_create(
        Customer(
            workspace=workspace,
            external_id=f"c{i}",
            email=plan["email"],
            locale=plan["locale"],
            birthdate=plan["birthdate"],
            attributes=plan["attributes"],
            created_at=NOW - timedelta(days=plan["created_days_ago"], minutes=i),
            erased_at=NOW if plan["erased"] else None,
        )
        for i, plan in enumerate(plans)
    )
    Consent.objects.bulk_create(
        Consent(workspace=workspace, customer=customer, channel=channel, status=status)
        for customer, plan in zip(rows, plans, strict=True)
        for channel, status in plan["consents"].items()
    )
    CustomEvent.objects.bulk_create(
        CustomEvent(
            workspace=workspace,
            customer=customer,
            client_id=f"e{customer.pk}-{j}",
            name=name,
            occurred_at=NOW - timedelta(days=days),
        )
        for customer, plan in zip(rows, plans, strict=True)
        for j, (name, days) in enumerate(plan["events"])
    )
    planned = [
        (customer, j, order)
        for customer, plan in zip(rows, plans, strict=True)
        for j, order in enumerate(plan["orders"])
    ]
    orders = Order.objects.bulk_create(
        Order(
            workspace=workspace,
            customer=customer,
            external_id=f"o{customer.pk}-{j}",
            status=order["status"],
            currency=order["currency"],
            total=Decimal(order["total"]),
            subtotal=Decimal(order["total"]),
            refunded_total=_refunded(order["total"], order["refunded"]),
            channel="online",
            occurred_at=NOW - timedelta(days=order["days_ago"], hours=j),
        )
        for customer, j, order in planned
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=row,
            position=k,
            sku=sku,
            category=category,
            quantity=1,
            unit_price=Decimal("1.00"),
        )
        for row, (_, _, order) in zip(orders, planned, strict=True)
        for k, (sku, category) in enumerate(order["items"])
    )
    stats.rebuild(workspace)
    return workspace, rows


def memory_selection(workspace: Workspace, rows: list[Customer], data: Any) -> set[int]:
    condition = parse(data, workspace=workspace, subjects={"customer"})
    listed = [c for c in rows if c.erased_at is None]
    histories = order_histories(workspace, [c.pk for c in listed])
    consents: dict[int, dict[str, str]] = {c.pk: {} for c in listed}
    for customer_id, channel, status in Consent.objects.filter(customer__in=listed).values_list(
        "customer_id", "channel", "status"
    ):
        consents[customer_id][channel] = status
    events: dict[int, list[tuple[str, datetime]]] = {c.pk: [] for c in listed}
    for customer_id, name, occurred_at in CustomEvent.objects.filter(
        customer__in=listed
    ).values_list("customer_id", "name", "occurred_at"):
        events[customer_id].append((name, occurred_at))
    from zoneinfo import ZoneInfo

    selected = set()
    for customer in listed:
        context = Context(
            now=NOW,
            tz=ZoneInfo("Asia/Tokyo"),
            customer=customer,
            customer_consents=consents[customer.pk],
            customer_events=events[customer.pk],
            customer_orders=histories[customer.pk],
            workspace_currency="USD",
        )
        if evaluate(condition, context):
            selected.add(customer.pk)
    return selected


# ------------------------------------------------------------------ conditions

VALUES: dict[str, list[Any]] = {
    "customer.attributes.city": CITIES,
    "customer.attributes.age": AGES,
    "customer.attributes.vip": [True, False],
    "customer.attributes.since": DATES,
    "customer.email": ["a@example.com", "b@example.com"],
    "customer.locale": ["ja", "ja-JP", "en"],
    "customer.birthdate": ["1990-01-02", "2000-01-01"],
    "customer.created_at": ["2026-04-01T00:00:00+09:00", "2025-06-01T00:00:00Z"],
    "customer.consents.email_marketing": ["granted", "denied", "pending"],
    "customer.consents.sms_marketing": ["granted", "denied"],
    "customer.orders.count": [0, 1, 2, 3],
    "customer.orders.total_spent": ["0", "0.01", "33.33", "50.00", "100.00", "133.33"],
    "customer.orders.average_value": ["0", "10.00", "33.33", "50.00", "16.665", "250.50"],
    "customer.orders.first_at": ["2026-01-01T00:00:00Z", "2025-06-01T00:00:00+09:00"],
    "customer.orders.last_at": ["2026-04-20T00:00:00Z", "2025-06-01T00:00:00Z"],
    "customer.orders.skus": SKUS,
    "customer.orders.categories": ["tea", "ware"],
    "customer.events.count": [0, 1, 2],
}
TYPES_OF = {
    "customer.attributes.city": "string",
    "customer.attributes.age": "number",
    "customer.attributes.vip": "boolean",
    "customer.attributes.since": "date",
    "customer.email": "string",
    "customer.locale": "string",
    "customer.birthdate": "date",
    "customer.created_at": "datetime",
    "customer.consents.email_marketing": "string",
    "customer.consents.sms_marketing": "string",
    "customer.orders.count": "integer",
    "customer.orders.total_spent": "money",
    "customer.orders.average_value": "money",
    "customer.orders.first_at": "datetime",
    "customer.orders.last_at": "datetime",
    "customer.orders.skus": "list[string]",
    "customer.orders.categories": "list[string]",
    "customer.events.count": "integer",
}
WINDOWED = {name for name in TYPES_OF if name.startswith(("customer.orders.", "customer.events."))}
TEXT = ["O", "sa", "ja", "a@", "JP", "ka"]
DURATIONS = ["1d", "30d", "12w", "6m", "1y"]


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(TYPES_OF)))
    vtype = TYPES[TYPES_OF[field]]
    op = draw(st.sampled_from(ops_for(vtype)))
    pool = VALUES[field]
    leaf: dict[str, Any] = {"field": field, "op": op}
    if field in WINDOWED and draw(st.booleans()):
        leaf["within"] = draw(st.sampled_from(DURATIONS))
    if field == "customer.events.count" and draw(st.booleans()):
        leaf["event"] = draw(st.sampled_from(EVENTS))
    if op in ("exists", "not_exists"):
        return leaf
    if op in ("in", "not_in", "any_in", "all_in", "none_in"):
        leaf["value"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    elif op == "between":
        values = sorted(draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2)), key=_order)
        leaf["value"] = values
    elif op in ("within_last", "not_within_last"):
        leaf["value"] = draw(st.sampled_from(DURATIONS))
    elif op in ("contains", "not_contains") and vtype.is_list:
        leaf["value"] = draw(st.sampled_from(pool))
    elif op in ("contains", "not_contains", "starts_with", "ends_with"):
        leaf["value"] = draw(st.sampled_from(TEXT))
    else:
        leaf["value"] = draw(st.sampled_from(pool))
    return leaf


def _order(value: Any) -> Any:
    if isinstance(value, str) and value[:1].isdigit() and "-" not in value:
        return Decimal(value)
    if isinstance(value, str) and "T" in value:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    return value


CONDITIONS = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=5,
)


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(customers(), min_size=1, max_size=7),
    conditions=st.lists(CONDITIONS, min_size=1, max_size=10),
)
def test_sql_and_memory_select_the_same_customers(
    plans: list[dict[str, Any]], conditions: list[Any]
) -> None:
    workspace, rows = store(plans)
    for data in conditions:
        in_sql = set(matching_customers(workspace, data, moment=NOW).values_list("pk", flat=True))
        assert in_sql == memory_selection(workspace, rows, data), data
        listed = sum(1 for row in rows if row.erased_at is None)
        event("selected: " + ("none" if not in_sql else "all" if len(in_sql) == listed else "some"))
