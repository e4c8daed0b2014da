"""`manage.py load_demo` at a small size: the data obeys the rules the services enforce, every
fact has its timeline entry, and the printed credentials work."""

import io
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from kizuna.accounts.models import Membership, Role, StaffUser
from kizuna.accounts.services import create_workspace
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.core.money import MINOR_UNITS, format_amount
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomEvent,
    TimelineEntry,
)
from kizuna.customers.services import custom_events, profiles
from kizuna.feedback.models import Response
from kizuna.orders.models import Order, OrderItem, Refund, RefundItem
from kizuna.orders.services import orders as order_services
from kizuna.orders.services import refunds
from kizuna.orders.services.orders import ALLOWED_TRANSITIONS

SIZE = 40
VARIED_SIZE = 200  # enough orders that every rare case (cancelled, refunds) surely occurs
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
KOREAN = re.compile(r"[\uac00-\ud7a3]")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def load(*args: str, size: int = SIZE) -> dict[str, str]:
    out = io.StringIO()
    call_command("load_demo", "--customers", str(size), *args, stdout=out)
    text = out.getvalue()
    found = {
        "password": re.search(r"^\s+password\s+(\S+)$", text, re.M),
        "server_key": re.search(r"^\s+server\s+(sk_\w+)$", text, re.M),
        "publishable_key": re.search(r"^\s+publishable\s+(pk_\w+)$", text, re.M),
    }
    printed = {name: match.group(1) for name, match in found.items() if match}
    assert set(printed) == set(found), text
    assert re.search(r"customers\s+\d+/\d+ \(\d+%\)", text) or "exists already" in text, text
    assert re.search(r"Done in \d+\.\d s\.", text), text
    return {**printed, "output": text}


def demo_workspace() -> Workspace:
    return Workspace.objects.get(slug="kizuna-demo")


def fits(amount: Decimal, currency: str) -> bool:
    return amount == amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]))


def counts(workspace: Workspace) -> dict[str, int]:
    return {
        "customers": Customer.objects.for_workspace(workspace).count(),
        "orders": Order.objects.for_workspace(workspace).count(),
        "refunds": Refund.objects.for_workspace(workspace).count(),
        "events": CustomEvent.objects.for_workspace(workspace).count(),
        "timeline": TimelineEntry.objects.for_workspace(workspace).count(),
    }


@pytest.fixture
def demo(db: None) -> dict[str, str]:
    return load()


@pytest.mark.django_db
def test_orders_add_up_and_refunds_stay_within_them(demo: dict[str, str]) -> None:
    workspace = demo_workspace()
    orders = list(
        Order.objects.for_workspace(workspace).prefetch_related("items", "refunds__items")
    )
    assert orders
    assert {o.status for o in orders} <= {"pending", "paid", "cancelled"}
    for order in orders:
        items = list(order.items.all())
        refunds = list(order.refunds.all())
        cur = order.currency
        assert items and [it.position for it in items] == list(range(len(items)))
        money = [
            order.total,
            order.subtotal,
            order.discount_total,
            order.shipping_total,
            order.tax_total,
            order.refunded_total,
            *(it.unit_price for it in items),
            *(r.amount for r in refunds),
            *(ri.amount for r in refunds for ri in r.items.all()),
        ]
        assert all(fits(amount, cur) and amount >= 0 for amount in money), order.external_id
        assert order.subtotal == sum(it.unit_price * it.quantity for it in items)
        assert order.discount_total <= order.subtotal
        tax = Decimal(0) if order.prices_include_tax else order.tax_total
        assert order.total == order.subtotal - order.discount_total + order.shipping_total + tax
        assert order.prices_include_tax == (cur != "USD")
        assert order.refunded_total <= order.total
        assert order.refunded_total == sum((r.amount for r in refunds), Decimal(0))
        if refunds:
            assert order.status == "paid"
            assert all(r.currency == cur and r.amount > 0 for r in refunds)
        refunded: Counter[int] = Counter()
        for refund in refunds:
            for line in refund.items.all():
                assert line.order_item_id in {it.pk for it in items}
                refunded[line.order_item_id] += line.quantity
        for item in items:
            assert 0 <= item.refunded_quantity <= item.quantity
            assert item.refunded_quantity == refunded[item.pk]
        assert order.occurred_at <= order.created_at <= order.updated_at


@pytest.mark.django_db
def test_every_fact_has_its_timeline_entry(demo: dict[str, str]) -> None:
    workspace = demo_workspace()
    entries = list(TimelineEntry.objects.for_workspace(workspace).order_by("occurred_at", "id"))
    by_kind: dict[str, list[TimelineEntry]] = defaultdict(list)
    for entry in entries:
        by_kind[entry.kind].append(entry)
    assert set(by_kind) <= {
        "order",
        "order_status",
        "refund",
        "event",
        "consent",
        "points",
        "survey_response",
        "referral",
    }
    finished = Response.objects.for_workspace(workspace).exclude(status="in_progress")
    assert sorted(e.object_id for e in by_kind["survey_response"]) == sorted(
        finished.values_list("key", flat=True)
    )

    orders = {o.external_id: o for o in Order.objects.for_workspace(workspace)}
    assert sorted(e.object_id for e in by_kind["order"]) == sorted(orders)
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in by_kind["order"] + by_kind["order_status"]:
        assert entry.customer_id == orders[entry.object_id].customer_id
    for entry in by_kind["order"]:
        order = orders[entry.object_id]
        assert entry.occurred_at == order.occurred_at
        assert set(entry.summary) == {"status", "currency", "total", "items", "channel"}
        assert entry.summary["currency"] == order.currency
        assert Decimal(entry.summary["total"]) == order.total
        assert entry.summary["items"] == sum(it.quantity for it in order.items.all())
        history[order.external_id].append(entry.summary)
    for entry in by_kind["order_status"]:
        assert set(entry.summary) == {"previous_status", "status"}
        history[entry.object_id].append(entry.summary)
    for external_id, steps in history.items():
        status = steps[0]["status"]
        assert status in {"pending", "paid"}
        for step in steps[1:]:
            assert step["previous_status"] == status
            assert step["status"] in ALLOWED_TRANSITIONS[status]
            status = step["status"]
        assert status == orders[external_id].status

    refunds = {r.external_id: r for r in Refund.objects.for_workspace(workspace)}
    assert sorted(e.object_id for e in by_kind["refund"]) == sorted(refunds)
    for entry in by_kind["refund"]:
        refund = refunds[entry.object_id]
        assert entry.summary == {
            "order_id": refund.order.external_id,
            "currency": refund.currency,
            "amount": str(refund.amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[refund.currency]))),
        }
        assert entry.occurred_at == refund.occurred_at

    events = {e.client_id: e for e in CustomEvent.objects.for_workspace(workspace)}
    assert sorted(e.object_id for e in by_kind["event"]) == sorted(events)
    for entry in by_kind["event"]:
        event = events[entry.object_id]
        assert entry.summary == {"name": event.name, "properties": event.properties}
        assert entry.customer_id == event.customer_id
    for event in events.values():
        if event.name == "review_written":
            assert event.properties["order_id"] in orders

    changes = list(ConsentChange.objects.for_workspace(workspace).order_by("occurred_at", "id"))
    assert len(by_kind["consent"]) == len(changes) > 0
    timeline_consents = Counter(
        (e.customer_id, e.summary["channel"], e.summary["status"], e.summary["previous_status"])
        for e in by_kind["consent"]
    )
    change_rows = Counter(
        (c.customer_id, c.channel, c.status, c.previous_status or None) for c in changes
    )
    assert timeline_consents == change_rows
    latest = {(c.customer_id, c.channel): c for c in changes}
    consents = {(c.customer_id, c.channel): c for c in Consent.objects.for_workspace(workspace)}
    assert set(latest) == set(consents)
    for key, consent in consents.items():
        assert consent.status == latest[key].status
        assert consent.updated_at == latest[key].occurred_at
    previous: dict[tuple[int, str], str] = {}
    for change in changes:
        key = (change.customer_id, change.channel)
        assert change.previous_status == previous.get(key, "")
        assert change.status != change.previous_status
        previous[key] = change.status

    # Seeded history is not live activity: nothing is queued for webhooks or campaigns.
    assert not OutboxEvent.objects.for_workspace(workspace).exists()


@pytest.mark.django_db
def test_the_data_covers_every_case() -> None:
    load(size=VARIED_SIZE)
    workspace = demo_workspace()
    orders = Order.objects.for_workspace(workspace)
    assert {"paid", "cancelled"} <= set(orders.values_list("status", flat=True))
    assert set(orders.values_list("currency", flat=True)) == {"USD", "JPY", "KRW"}
    assert set(orders.values_list("channel", flat=True)) == {"online", "app", "store"}
    assert orders.filter(discount_total__gt=0).exists()
    assert orders.filter(shipping_total__gt=0).exists()
    timeline = TimelineEntry.objects.for_workspace(workspace)
    assert timeline.filter(kind="order_status", summary__status="paid").exists()
    assert timeline.filter(kind="order_status", summary__status="cancelled").exists()
    refunds = Refund.objects.for_workspace(workspace)
    assert refunds.filter(items__isnull=False).exists()  # item refunds
    assert refunds.filter(items__isnull=True).exists()  # amount refunds
    names = set(CustomEvent.objects.for_workspace(workspace).values_list("name", flat=True))
    assert {"app_opened", "review_written", "store_visit"} <= names
    changes = ConsentChange.objects.for_workspace(workspace)
    assert changes.filter(previous_status="pending", status="granted").exists()
    assert changes.filter(previous_status="granted", status="denied").exists()


@pytest.mark.django_db
def test_customers_mix_english_japanese_and_korean(demo: dict[str, str]) -> None:
    workspace = demo_workspace()
    customers = list(Customer.objects.for_workspace(workspace))
    assert len(customers) == SIZE
    names = [f"{c.last_name}{c.first_name}" for c in customers]
    assert any(JAPANESE.search(n) for n in names)
    assert any(KOREAN.search(n) for n in names)
    assert any(n.isascii() for n in names)
    assert {c.locale for c in customers} == {"en", "ja", "ko"}
    assert {"Asia/Tokyo", "Asia/Seoul"} <= {c.timezone for c in customers}
    assert any(c.timezone.startswith(("America/", "Pacific/")) for c in customers)
    phones = [c.phone for c in customers if c.phone]
    assert phones and all(E164.match(p) for p in phones)
    assert {p[:3] for p in phones} & {"+81", "+82"} and any(p.startswith("+1") for p in phones)
    emails = [c.email for c in customers if c.email]
    assert len(emails) == len(set(emails))
    assert len({c.external_id for c in customers}) == SIZE

    types = dict(AttributeDefinition.objects.for_workspace(workspace).values_list("key", "type"))
    assert {"string", "number", "boolean", "date"} <= set(types.values())
    for customer in customers:
        assert customer.attributes["city"]
        for key, value in customer.attributes.items():
            kind = types[key]
            if kind == "string":
                assert isinstance(value, str)
            elif kind == "number":
                assert isinstance(value, int | float) and not isinstance(value, bool)
            elif kind == "boolean":
                assert isinstance(value, bool)
            else:
                assert date.fromisoformat(value)


@pytest.mark.django_db
def test_printed_credentials_work(demo: dict[str, str]) -> None:
    workspace = demo_workspace()
    server = Client(headers={"Authorization": f"Bearer {demo['server_key']}"})
    response = server.get("/api/v1/customers")
    assert response.status_code == 200
    assert len(response.json()["data"]) > 0
    customer = Customer.objects.for_workspace(workspace).order_by("-id").first()
    assert customer is not None
    response = server.get(f"/api/v1/customers/{customer.external_id}/timeline?limit=500")
    assert response.status_code == 200
    assert len(response.json()["data"]) == customer.timeline.count()

    browser = Client(headers={"Authorization": f"Bearer {demo['publishable_key']}"})
    assert browser.get("/api/v1/customers").json()["code"] == "server_key_required"

    user = authenticate(email="demo@kizuna.example", password=demo["password"])
    assert isinstance(user, StaffUser) and user.is_staff and user.is_active
    assert Membership.objects.for_workspace(workspace).get(user=user).role == Role.OWNER
    admin = Client()
    assert admin.login(email="demo@kizuna.example", password=demo["password"])
    assert admin.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_running_again_keeps_the_data_and_issues_fresh_credentials(
    demo: dict[str, str],
) -> None:
    workspace = demo_workspace()
    before = counts(workspace)
    again = load()
    assert "exists already" in again["output"]
    assert counts(workspace) == before
    assert Workspace.objects.filter(slug="kizuna-demo").count() == 1
    assert StaffUser.objects.filter(email="demo@kizuna.example").count() == 1
    assert again["server_key"] != demo["server_key"]
    assert again["password"] != demo["password"]
    assert authenticate(email="demo@kizuna.example", password=demo["password"]) is None
    assert authenticate(email="demo@kizuna.example", password=again["password"]) is not None
    response = Client(headers={"Authorization": f"Bearer {again['server_key']}"}).get(
        "/api/v1/customers"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_reset_reloads_the_same_people(demo: dict[str, str]) -> None:
    def people() -> list[tuple[str, str, str, str]]:
        return list(
            Customer.objects.for_workspace(demo_workspace())
            .order_by("external_id")
            .values_list("external_id", "first_name", "last_name", "email")
        )

    first = people()
    old_pk = demo_workspace().pk
    reloaded = load("--reset")
    assert demo_workspace().pk != old_pk
    assert people() == first
    assert counts(demo_workspace())["customers"] == SIZE
    user = authenticate(email="demo@kizuna.example", password=reloaded["password"])
    assert user is not None
    assert Membership.objects.for_workspace(demo_workspace()).get(user=user).role == Role.OWNER
    assert not Order.objects.filter(workspace_id=old_pk).exists()
    assert not OrderItem.objects.filter(order__workspace_id=old_pk).exists()


def _replay(seeded: Workspace, replay: Workspace) -> None:
    """Send every seeded fact, in the order it happened, through the customers services."""
    facts: list[tuple[Any, int, Any]] = []

    def fact(moment: Any, rank: int, call: Any) -> None:
        facts.append((moment, rank, call))

    for c in Customer.objects.for_workspace(seeded):
        profile = {
            "email": c.email,
            "phone": c.phone,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "birthdate": c.birthdate,
            "locale": c.locale,
            "timezone": c.timezone,
            "attributes": c.attributes,
        }
        profiles.upsert_customer(replay, c.external_id, profile)
    for ch in ConsentChange.objects.for_workspace(seeded).select_related("customer"):
        consents = {ch.channel: {"status": ch.status, "updated_at": ch.occurred_at}}
        fact(
            ch.occurred_at,
            0,
            lambda ext=ch.customer.external_id, consents=consents: profiles.upsert_customer(
                replay, ext, {"consents": consents}
            ),
        )
    entries = TimelineEntry.objects.for_workspace(seeded)
    first_status = {e.object_id: e.summary["status"] for e in entries.filter(kind="order")}
    for order in Order.objects.for_workspace(seeded).select_related("customer"):
        money = lambda value, currency=order.currency: format_amount(value, currency)  # noqa: E731
        data = {
            "external_id": order.external_id,
            "customer_id": order.customer.external_id,
            "status": first_status[order.external_id],
            "currency": order.currency,
            "total": money(order.total),
            "subtotal": money(order.subtotal),
            "discount_total": money(order.discount_total),
            "shipping_total": money(order.shipping_total),
            "tax_total": money(order.tax_total),
            "prices_include_tax": order.prices_include_tax,
            "channel": order.channel,
            "location": order.location,
            "metadata": order.metadata,
            "occurred_at": order.occurred_at,
            "items": [
                {
                    "sku": it.sku,
                    "name": it.name,
                    "category": it.category,
                    "quantity": it.quantity,
                    "unit_price": money(it.unit_price),
                }
                for it in order.items.all()
            ],
        }
        fact(order.occurred_at, 1, lambda data=data: order_services.record_order(replay, data))
    for entry in entries.filter(kind="order_status"):
        fact(
            entry.occurred_at,
            2,
            lambda ext=entry.object_id, status=entry.summary["status"]: (
                order_services.change_order_status(replay, ext, status)
            ),
        )
    for refund in Refund.objects.for_workspace(seeded).select_related("order"):
        lines = [{"sku": i.sku, "quantity": i.quantity} for i in refund.items.all()]
        body: dict[str, Any] = {
            "external_id": refund.external_id,
            "reason": refund.reason,
            "occurred_at": refund.occurred_at,
            **(
                {"items": lines}
                if lines
                else {"amount": format_amount(refund.amount, refund.currency)}
            ),
        }
        fact(
            refund.occurred_at,
            3,
            lambda ext=refund.order.external_id, body=body: refunds.refund_order(replay, ext, body),
        )
    for event in CustomEvent.objects.for_workspace(seeded).select_related("customer"):
        data = {
            "id": event.client_id,
            "name": event.name,
            "customer_id": event.customer.external_id,
            "properties": event.properties,
            "occurred_at": event.occurred_at,
        }
        fact(event.occurred_at, 4, lambda data=data: custom_events.record_event(replay, data))
    facts.sort(key=lambda f: (f[0], f[1]))
    for _, _, call in facts:
        call()


def _rows(workspace: Workspace) -> dict[str, Any]:
    """What the services decide, without ids, recording times and sources."""
    orders = Order.objects.for_workspace(workspace)
    timeline = Counter(
        (
            e.customer.external_id,
            e.kind,
            e.object_id,
            repr(sorted(e.summary.items())),
            None if e.kind == "order_status" else e.occurred_at,
        )
        # The loyalty history (kind "points") and the referrals lived through it are
        # replayed through their own services (test_demo_loyalty.py, test_demo_rewards.py);
        # this compares the bulk load with the services.
        for e in TimelineEntry.objects.for_workspace(workspace)
        .exclude(kind__in=("points", "survey_response", "referral"))
        .select_related("customer")
    )
    return {
        "customers": sorted(
            Customer.objects.for_workspace(workspace).values_list(
                "external_id",
                "email",
                "phone",
                "first_name",
                "last_name",
                "birthdate",
                "locale",
                "timezone",
                "attributes",
            )
        ),
        "attribute types": sorted(
            AttributeDefinition.objects.for_workspace(workspace).values_list("key", "type")
        ),
        "consents": sorted(
            Consent.objects.for_workspace(workspace).values_list(
                "customer__external_id", "channel", "status", "updated_at"
            )
        ),
        "consent history": sorted(
            ConsentChange.objects.for_workspace(workspace).values_list(
                "customer__external_id", "channel", "status", "previous_status", "occurred_at"
            )
        ),
        "orders": sorted(
            orders.values_list(
                "external_id",
                "customer__external_id",
                "status",
                "currency",
                "total",
                "subtotal",
                "discount_total",
                "shipping_total",
                "tax_total",
                "prices_include_tax",
                "refunded_total",
                "channel",
                "location",
                "occurred_at",
            )
        ),
        "items": sorted(
            OrderItem.objects.filter(order__in=orders).values_list(
                "order__external_id",
                "position",
                "sku",
                "name",
                "category",
                "quantity",
                "unit_price",
                "refunded_quantity",
            )
        ),
        "refunds": sorted(
            Refund.objects.for_workspace(workspace).values_list(
                "external_id", "order__external_id", "amount", "currency", "reason", "occurred_at"
            )
        ),
        "refund items": sorted(
            RefundItem.objects.filter(refund__workspace=workspace).values_list(
                "refund__external_id", "order_item__position", "sku", "quantity", "amount"
            )
        ),
        "events": sorted(
            CustomEvent.objects.for_workspace(workspace).values_list(
                "client_id", "customer__external_id", "name", "occurred_at"
            )
        ),
        "timeline": sorted(timeline.items(), key=repr),
    }


@pytest.mark.django_db
def test_the_services_would_write_the_same_rows(demo: dict[str, str]) -> None:
    """Replay every seeded fact through the customers services into another workspace: they
    accept each one and write the same rows and timeline entries as the bulk load did."""
    seeded = demo_workspace()
    replay = create_workspace("demo-replay").workspace
    _replay(seeded, replay)
    expected, got = _rows(seeded), _rows(replay)
    for table, rows in expected.items():
        assert rows, table
        assert got[table] == rows, table
