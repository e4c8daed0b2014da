"""How many database queries each endpoint makes, pinned, so that no N+1 creeps in unseen.

Every operation of the OpenAPI document has a pin (a new endpoint without one fails
`test_every_operation_has_a_pin`). Lists are measured at two sizes and must cost the same.
A change that moves a count changes its pin here, in the same commit, on purpose."""

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, openapi_document, sample_order
from kizuna.accounts.services import NewWorkspace

pytestmark = pytest.mark.django_db

CSV = "external_id,email\r\nq-1,q1@example.com\r\nq-2,q2@example.com\r\n"


@dataclass(frozen=True)
class Pin:
    method: str
    template: str
    path: str
    queries: int
    body: Callable[[], Any] | None = None
    list_of: str | None = None  # the kind of row a list grows with


OSAKA = {"field": "customer.attributes.city", "op": "eq", "value": "Osaka"}
# The reads over segments set work_mem and jit for their transaction on PostgreSQL.
PG = connection.vendor == "postgresql"
PG_SET = 2 if PG else 0


def _order(n: int) -> dict[str, Any]:
    return sample_order(external_id=f"ord-{n}", customer_id=f"cust-{n}")


# Apps that take part in an order (loyalty, referrals, cashback; gift cards read nothing
# for an order without a gift-card payment) each add their queries to the order pins.
PINS = [
    # Writes. The API layer's transaction is a savepoint inside the test's transaction:
    # SAVEPOINT and RELEASE are two of the queries counted.
    Pin("POST", "/customers", "/customers", 6, lambda: {"external_id": "new-1"}),
    Pin("PUT", "/customers/{customer_id}", "/customers/cust-0", 7, lambda: {"first_name": "Ann"}),
    Pin("PATCH", "/customers/{customer_id}", "/customers/cust-0", 7, lambda: {"last_name": "Li"}),
    # With survey distribution's scrubber (personal links, invitations): two UPDATEs.
    # And feedback's (the typed answers read, the responses read and rewritten, open texts
    # and follow-up notes cleared): five more.
    Pin("POST", "/customers/{customer_id}/erase", "/customers/cust-0/erase", 27),
    Pin("POST", "/customers/import", "/customers/import", 6),
    Pin(
        "POST",
        "/events",
        "/events",
        9,
        lambda: {"id": "e-9", "name": "visit", "customer_id": "cust-0"},
    ),
    Pin("POST", "/orders", "/orders", 20, lambda: _order(99) | {"customer_id": "cust-0"}),
    Pin(
        "POST",
        "/orders/{external_id}/status",
        "/orders/ord-0/status",
        31,
        lambda: {"status": "cancelled"},
    ),
    Pin(
        "POST",
        "/orders/{external_id}/refunds",
        "/orders/ord-0/refunds",
        26,
        lambda: {"external_id": "r-9", "items": [{"sku": "TEA-1", "quantity": 1}]},
    ),
    Pin(
        "POST",
        "/text/analyze",
        "/text/analyze",
        2,
        lambda: {"texts": [{"id": "t-1", "text": "Great tea, slow delivery."}]},
    ),
    Pin("POST", "/programs", "/programs", 4, lambda: {**CLUB, "id": "other"}),
    Pin("PATCH", "/programs/{program_id}", "/programs/club", 5, lambda: {"name": "Club 2"}),
    Pin(
        "POST",
        "/programs/{program_id}/members",
        "/programs/club/members",
        6,
        lambda: {"customer_id": "cust-1"},
    ),
    Pin(
        "POST",
        "/programs/{program_id}/earning-rules",
        "/programs/club/earning-rules",
        6,
        lambda: {**PER_DOLLAR, "id": "another"},
    ),
    Pin(
        "PATCH",
        "/programs/{program_id}/earning-rules/{rule_id}",
        "/programs/club/earning-rules/per-dollar",
        9,
        lambda: {"priority": 5},
    ),
    Pin(
        "DELETE",
        "/programs/{program_id}/earning-rules/{rule_id}",
        "/programs/club/earning-rules/per-dollar",
        8,
    ),
    Pin(
        "POST",
        "/programs/{program_id}/simulate",
        "/programs/club/simulate",
        4,
        lambda: {"order": _order(500)},
    ),
    Pin(
        "POST",
        "/programs/{program_id}/earning-rules/{rule_id}/simulate",
        "/programs/club/earning-rules/per-dollar/simulate",
        9,
        lambda: {"backtest": {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"}},
    ),
    Pin(
        "POST",
        "/programs/{program_id}/tiers",
        "/programs/club/tiers",
        7,
        lambda: {
            "id": "bronze",
            "name": "Bronze",
            "rank": 3,
            "qualify": {"metric": "orders", "threshold": 50, "window": "lifetime"},
        },
    ),
    Pin(
        "PATCH",
        "/programs/{program_id}/tiers/{tier_id}",
        "/programs/club/tiers/gold",
        9,
        lambda: {"grace_days": 30},
    ),
    Pin(
        "POST",
        "/programs/{program_id}/milestones",
        "/programs/club/milestones",
        6,
        lambda: {
            "id": "ten",
            "name": "Ten",
            "goal": {"type": "count", "trigger": {"type": "order_paid"}, "target": 10},
        },
    ),
    Pin(
        "POST",
        "/customers/{customer_id}/loyalty/{program_id}/adjustments",
        "/customers/cust-0/loyalty/club/adjustments",
        13,
        lambda: {"points": -5, "reason": "goodwill corrected"},
    ),
    # Reads.
    Pin("GET", "/programs", "/programs", 1),
    Pin("GET", "/programs/{program_id}", "/programs/club", 1),
    Pin("GET", "/programs/{program_id}/members", "/programs/club/members", 2, list_of="member"),
    Pin("GET", "/programs/{program_id}/earning-rules", "/programs/club/earning-rules", 2),
    Pin(
        "GET",
        "/programs/{program_id}/earning-rules/{rule_id}",
        "/programs/club/earning-rules/per-dollar",
        3,
    ),
    Pin("GET", "/programs/{program_id}/tiers", "/programs/club/tiers", 2),
    Pin("GET", "/programs/{program_id}/tiers/{tier_id}", "/programs/club/tiers/gold", 3),
    Pin("GET", "/programs/{program_id}/milestones", "/programs/club/milestones", 2),
    Pin("GET", "/customers/{customer_id}/loyalty", "/customers/cust-0/loyalty", 7, list_of="order"),
    Pin(
        "GET",
        "/customers/{customer_id}/loyalty/{program_id}/transactions",
        "/customers/cust-0/loyalty/club/transactions",
        4,
        list_of="order",
    ),
    Pin("GET", "/audit-log", "/audit-log", 1),
    Pin("GET", "/customers", "/customers", 2, list_of="customer"),
    Pin("GET", "/customers", "/customers?q=cust", 2, list_of="customer"),
    Pin("GET", "/customers/{customer_id}", "/customers/cust-0", 2),
    Pin(
        "GET",
        "/customers/{customer_id}/timeline",
        "/customers/cust-0/timeline",
        2,
        list_of="timeline",
    ),
    Pin(
        "GET",
        "/customers/{customer_id}/data-export",
        "/customers/cust-0/data-export",
        23,
        list_of="order",
    ),
    Pin("GET", "/customers/export", "/customers/export", 3, list_of="customer"),
    Pin("GET", "/customers/imports/{import_id}", "/customers/imports/{import}", 1),
    Pin("GET", "/customer-attributes", "/customer-attributes", 1),
    Pin("GET", "/orders", "/orders", 9, list_of="order"),
    Pin("GET", "/orders", "/orders?customer_id=cust-0", 10, list_of="order"),
    Pin("GET", "/orders/{external_id}", "/orders/ord-0", 9),
    # Conditions and segments (seeded by _seed_segments).
    Pin("GET", "/conditions/fields", "/conditions/fields", 2),
    Pin("POST", "/segments/preview", "/segments/preview", 6 + PG_SET, lambda: {"condition": OSAKA}),
    Pin("POST", "/segments", "/segments", 4, lambda: {"name": "New", "condition": OSAKA}),
    Pin("GET", "/segments", "/segments", 1),
    Pin("GET", "/segments/{segment_id}", "/segments/osaka", 1),
    Pin("PATCH", "/segments/{segment_id}", "/segments/osaka", 4, lambda: {"condition": OSAKA}),
    Pin("DELETE", "/segments/{segment_id}", "/segments/gone", 6),
    # A refresh is set-based: its statements do not grow with the customers who enter or
    # leave. On PostgreSQL it also sets work_mem and jit and analyzes its matches.
    Pin("POST", "/segments/{segment_id}/refresh", "/segments/members/refresh", 15 + PG_SET + PG),
    Pin(
        "GET",
        "/segments/{segment_id}/customers",
        "/segments/everyone/customers",
        4 + PG_SET,
        list_of="customer",
    ),
    Pin(
        "GET",
        "/segments/{segment_id}/customers",
        "/segments/members/customers",
        3 + PG_SET,
        list_of="customer",
    ),
    Pin("GET", "/customers", "/customers?segment=osaka", 4, list_of="customer"),
    Pin("GET", "/jobs", "/jobs", 1),
    # Surveys (seeded by _seed_surveys: "nps" published with two versions, "draft").
    Pin("POST", "/surveys", "/surveys", 5, lambda: _survey("new-survey")),
    Pin("GET", "/surveys", "/surveys", 1, list_of="survey"),
    Pin("GET", "/surveys", "/surveys?status=active", 1, list_of="survey"),
    Pin("GET", "/surveys/{survey_id}", "/surveys/nps", 1),
    Pin("GET", "/surveys/{survey_id}", "/surveys/nps?version=1", 2),
    Pin("PATCH", "/surveys/{survey_id}", "/surveys/draft", 5, lambda: {"name": "Renamed"}),
    Pin(
        "PATCH",
        "/surveys/{survey_id}",
        "/surveys/nps",
        7,
        lambda: {"definition": _survey_definition("v3")},
    ),
    Pin("GET", "/surveys/{survey_id}/versions", "/surveys/nps/versions", 2, list_of="version"),
    Pin("POST", "/surveys/{survey_id}/publish", "/surveys/draft/publish", 6),
    Pin("POST", "/surveys/{survey_id}/pause", "/surveys/nps/pause", 6),
    Pin("POST", "/surveys/{survey_id}/close", "/surveys/nps/close", 6),
    # Survey logic: the savepoint and its release, the survey, the customer.
    Pin(
        "POST",
        "/surveys/{survey_id}/evaluate",
        "/surveys/nps/evaluate",
        4,
        lambda: {"answers": {"nps": 9}, "customer_id": "cust-0", "language": "ja"},
    ),
    # A SurveyJS survey imported: as creating one (the survey, its version, the audit row).
    Pin(
        "POST",
        "/surveys/import",
        "/surveys/import",
        5,
        lambda: {
            "format": "surveyjs",
            "id": "imported",
            "definition": {"pages": [{"name": "p", "elements": [{"type": "text", "name": "q"}]}]},
        },
    ),
    # Displays and responses (seeded: two responses to "nps").
    Pin(
        "POST",
        "/surveys/{survey_id}/displays",
        "/surveys/nps/displays",
        6,  # with the contact the fatigue rules count
        lambda: {"channel": "link", "customer_id": "cust-0"},
    ),
    Pin(
        "POST",
        "/surveys/{survey_id}/responses",
        "/surveys/nps/responses",
        # A detractor completing: the follow-up rules, nps.detractor, the rule's run (insert,
        # outcomes), its follow-up, audit row and timeline entry are 7 of these.
        18,
        lambda: {
            "submission_id": "sub-new",
            "language": "ja",
            "customer_id": "cust-0",
            "answers": {"nps": 3, "why": "Slow."},
            "finished": True,
        },
    ),
    Pin("GET", "/surveys/{survey_id}/responses", "/surveys/nps/responses", 2, list_of="response"),
    Pin("GET", "/surveys/{survey_id}/export", "/surveys/nps/export?format=csv", 4),
    # The survey, the answers waiting for analysis, the analysed ones (none here).
    Pin("GET", "/surveys/{survey_id}/themes", "/surveys/nps/themes", 3),
    # Survey results: whole days from the daily rollup, or a bound inside a day from the
    # answer rows (the survey, values, displays, starts, completions, drop-off).
    # One more for the open texts by sentiment.
    Pin("GET", "/surveys/{survey_id}/results", "/surveys/nps/results", 6 + PG_SET),
    Pin(
        "GET",
        "/surveys/{survey_id}/results",
        "/surveys/nps/results?from=2026-01-01T01:00:00Z&interval=month",
        7 + PG_SET,
    ),
    # Survey distribution: links.
    Pin(
        "POST",
        "/surveys/{survey_id}/links",
        "/surveys/nps/links",
        5,
        lambda: {"customer_ids": ["cust-0", "cust-1"]},
    ),
    # The survey, the link, and its insertion the first time it is asked for.
    Pin("GET", "/surveys/{survey_id}/links/public", "/surveys/nps/links/public", 3),
    # Invitations (the seeded customers consent, without an email), fatigue, settings, and
    # the widget's eligibility question.
    Pin(
        "POST",
        "/surveys/{survey_id}/invitations",
        "/surveys/nps/invitations",
        4,
        lambda: {"customer_ids": ["cust-0", "cust-1"]},
    ),
    Pin("GET", "/surveys/{survey_id}/fatigue", "/surveys/nps/fatigue", 2),
    Pin("GET", "/survey-settings", "/survey-settings", 1),
    Pin("PATCH", "/survey-settings", "/survey-settings", 4, lambda: {"cooldown_days": 14}),
    Pin(
        "POST",
        "/surveys/{survey_id}/eligibility",
        "/surveys/nps/eligibility",
        5,
        lambda: {"channel": "widget", "customer_id": "cust-0"},
    ),
    Pin("POST", "/orders/import", "/orders/import", 6),
    Pin("POST", "/events/import", "/events/import", 6),
    Pin("GET", "/orders/imports/{import_id}", "/orders/imports/{import}", 1),
    Pin("GET", "/events/imports/{import_id}", "/events/imports/{import}", 1),
    # Vouchers and gift cards (seeded by _seed_vouchers: campaign "q-camp" with code Q-CODE-1,
    # gift card Q-GIFT-1).
    Pin("POST", "/voucher-campaigns", "/voucher-campaigns", 4, lambda: _campaign("q-new")),
    Pin("GET", "/voucher-campaigns", "/voucher-campaigns", 1, list_of="campaign"),
    Pin("GET", "/voucher-campaigns/{campaign_id}", "/voucher-campaigns/q-camp", 1),
    Pin(
        "PATCH",
        "/voucher-campaigns/{campaign_id}",
        "/voucher-campaigns/q-camp",
        7,
        lambda: {"name": "Renamed", "usage": {"per_code": 3}},
    ),
    Pin(
        "POST",
        "/voucher-campaigns/{campaign_id}/codes",
        "/voucher-campaigns/q-camp/codes",
        6,
        lambda: {"count": 5},
    ),
    Pin(
        "GET",
        "/voucher-campaigns/{campaign_id}/generations/{generation_id}",
        "/voucher-campaigns/q-camp/generations/{generation}",
        1,
    ),
    Pin(
        "GET",
        "/voucher-campaigns/{campaign_id}/imports/{import_id}",
        "/voucher-campaigns/q-camp/imports/{codes-import}",
        1,
    ),
    Pin(
        "GET",
        "/voucher-campaigns/{campaign_id}/vouchers",
        "/voucher-campaigns/q-camp/vouchers",
        2,
        list_of="voucher",
    ),
    Pin("GET", "/vouchers/{code}", "/vouchers/q-code-1", 1),
    Pin("GET", "/vouchers/{code}/qr.png", "/vouchers/Q-CODE-1/qr.png", 1),
    Pin("GET", "/vouchers/{code}/qr.svg", "/vouchers/Q-CODE-1/qr.svg", 1),
    Pin("POST", "/gift-cards", "/gift-cards", 9, lambda: {"amount": "5.00", "currency": "USD"}),
    Pin("GET", "/gift-cards/liability", "/gift-cards/liability", 1),
    Pin("GET", "/gift-cards/{code}", "/gift-cards/Q-GIFT-1", 1),
    Pin(
        "POST",
        "/gift-cards/{code}/top-ups",
        "/gift-cards/Q-GIFT-1/top-ups",
        10,
        lambda: {"amount": "1.00"},
    ),
    Pin(
        "POST",
        "/gift-cards/{code}/adjustments",
        "/gift-cards/Q-GIFT-1/adjustments",
        10,
        lambda: {"amount": "-1.00", "reason": "Correction"},
    ),
    Pin(
        "GET",
        "/gift-cards/{code}/transactions",
        "/gift-cards/Q-GIFT-1/transactions",
        2,
        list_of="transaction",
    ),
    # Closing the loop (seeded by _seed_follow_up_rules: a detractor rule on "nps", so that
    # the seeded detractor's response has a follow-up). Writes: the savepoint and its
    # release; a rule's PATCH locks the survey and the rule, then the update and the audit row;
    # its DELETE also reads its runs, unlinks their follow-ups and deletes the runs.
    Pin(
        "POST",
        "/surveys/{survey_id}/follow-up-rules",
        "/surveys/nps/follow-up-rules",
        5,
        lambda: {"id": "unhappy", "name": "Unhappy", "condition": FU_CONDITION, "actions": FU_TASK},
    ),
    Pin(
        "GET",
        "/surveys/{survey_id}/follow-up-rules",
        "/surveys/nps/follow-up-rules",
        2,
        list_of="follow_up_rule",
    ),
    Pin(
        "GET",
        "/surveys/{survey_id}/follow-up-rules/{rule_id}",
        "/surveys/nps/follow-up-rules/detractor",
        1,
    ),
    Pin(
        "PATCH",
        "/surveys/{survey_id}/follow-up-rules/{rule_id}",
        "/surveys/nps/follow-up-rules/detractor",
        6,
        lambda: {"enabled": False},
    ),
    Pin(
        "DELETE",
        "/surveys/{survey_id}/follow-up-rules/{rule_id}",
        "/surveys/nps/follow-up-rules/detractor",
        9,
    ),
    Pin(
        "GET",
        "/surveys/{survey_id}/responses/{response_id}",
        "/surveys/nps/responses/{response}",
        2,
    ),
    Pin("GET", "/follow-ups", "/follow-ups", 1, list_of="follow_up"),
    Pin("GET", "/follow-ups/{follow_up_id}", "/follow-ups/{follow-up}", 1),
    Pin(
        "PATCH",
        "/follow-ups/{follow_up_id}",
        "/follow-ups/{follow-up}",
        5,
        lambda: {"status": "in_progress", "notes": "Called back."},
    ),
]

# Embeddable widget (issue 10): the survey's form reads the survey and its public link.
PINS += [Pin("GET", "/surveys/{survey_id}/form", "/surveys/nps/form", 2)]

# The uploads of the import endpoints: a small file each.
UPLOADS = {
    "/customers/import": ("customers.csv", CSV.encode()),
    "/orders/import": ("orders.jsonl", (json.dumps(_order(77)) + "\n").encode()),
    "/events/import": (
        "events.csv",
        b"id,name,customer_id\r\ne-77,visit,cust-0\r\n",
    ),
}


CLUB: dict[str, Any] = {
    "id": "club",
    "name": "Club",
    "currency": "USD",
    "timezone": "Asia/Tokyo",
    "status": "active",
    "expiry": {"policy": "rolling", "months": 12, "reset_on_activity": False},
}
PER_DOLLAR: dict[str, Any] = {
    "id": "per-dollar",
    "name": "Per dollar",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
}


def _seed_loyalty(api: ApiClient) -> None:
    """A live program with a rule per dollar, two tiers and a milestone: orders and events
    earn, so their pins count what earning costs."""
    assert api.post("/programs", CLUB).status_code == 201
    assert api.post("/programs/club/earning-rules", PER_DOLLAR).status_code == 201
    for rank, (key, threshold) in enumerate((("silver", 10), ("gold", 1000)), start=1):
        tier = {
            "id": key,
            "name": key,
            "rank": rank,
            "qualify": {"metric": "points_earned", "threshold": threshold, "window": "lifetime"},
        }
        assert api.post("/programs/club/tiers", tier).status_code == 201
    milestone = {
        "id": "five",
        "name": "Five orders",
        "points": 50,
        "goal": {"type": "count", "trigger": {"type": "order_paid"}, "target": 5},
    }
    assert api.post("/programs/club/milestones", milestone).status_code == 201


def _seed(api: ApiClient, rows: int) -> None:
    """A program; `rows` customers, each with an order (two items, one refunded), a consent,
    an event."""
    _seed_loyalty(api)
    for n in range(rows):
        assert (
            api.put(
                f"/customers/cust-{n}",
                {"attributes": {"city": "Osaka"}, "consents": {"surveys": {"status": "granted"}}},
            ).status_code
            == 201
        )
        assert api.post("/orders", _order(n)).status_code == 201
        refund = {"external_id": f"r-{n}", "items": [{"sku": "CUP-1", "quantity": 1}]}
        assert api.post(f"/orders/ord-{n}/refunds", refund).status_code == 201
        event = {"id": f"e-{n}", "name": "visit", "customer_id": f"cust-{n}"}
        assert api.post("/events", event).status_code == 201
    # A second order of the first customer: per-customer lists hold more than one row.
    for n in range(rows):
        assert api.post("/orders", _order(1000 + n) | {"customer_id": "cust-0"}).status_code == 201
    _seed_segments(api)
    _seed_surveys(api)
    _seed_vouchers(api)


def _campaign(key: str) -> dict[str, Any]:
    return {"id": key, "name": key, "discount": {"type": "percent", "percent": 10}}


def _seed_vouchers(api: ApiClient, more: int = 0) -> None:
    from kizuna.vouchers.models import Campaign, Voucher

    if more == 0:
        assert api.post("/voucher-campaigns", _campaign("q-camp")).status_code == 201
        gift = {"code": "Q-GIFT-1", "amount": "50.00", "currency": "USD"}
        assert api.post("/gift-cards", gift).status_code == 201
    campaign = Campaign.objects.get(key="q-camp")
    for n in range(more, more + 2):
        assert api.post("/voucher-campaigns", _campaign(f"q-camp-{n}")).status_code == 201
        Voucher.objects.create(
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            code=f"Q-CODE-{n + 1}",
            source="imported",
        )
        top_up = {"amount": "1.00"}
        assert api.post("/gift-cards/Q-GIFT-1/top-ups", top_up).status_code == 201


def _survey_definition(title: str) -> dict[str, Any]:
    nps = {"id": "nps", "type": "nps", "title": {"default": title}}
    why = {
        "id": "why",
        "type": "text",
        "title": {"default": "Why?"},
        "visible_if": {"field": "answers.nps", "op": "lte", "value": 6},
    }
    return {"pages": [{"id": "p1", "elements": [nps, why]}]}


def _survey(key: str) -> dict[str, Any]:
    return {
        "id": key,
        "name": key,
        "languages": ["en", "ja"],
        "default_language": "en",
        "timezone": "Asia/Tokyo",
        "definition": _survey_definition("Recommend?"),
    }


def _seed_surveys(api: ApiClient, keys: tuple[str, ...] = ("nps", "draft")) -> None:
    """Surveys: the first published, with a second version of its definition."""
    for key in keys:
        assert api.post("/surveys", _survey(key)).status_code == 201
    assert api.post(f"/surveys/{keys[0]}/publish").status_code == 200
    changed = {"definition": _survey_definition("v2")}
    assert api.patch(f"/surveys/{keys[0]}", changed).status_code == 200
    if keys[0] == "nps":
        _seed_follow_up_rules(api)
    _seed_responses(api, keys[0] if keys[0] == "nps" else "nps", keys[0])


FU_CONDITION: dict[str, Any] = {"field": "answers.nps", "op": "lte", "value": 6}
FU_TASK: list[dict[str, Any]] = [{"type": "task", "due_in_hours": 24}]


def _seed_follow_up_rules(api: ApiClient, prefix: str = "") -> None:
    """A detractor rule on "nps" (its responses then have follow-ups); more, when told."""
    for key in (f"{prefix}detractor", f"{prefix}low") if prefix else ("detractor",):
        rule = {"id": key, "name": key, "condition": FU_CONDITION, "actions": FU_TASK}
        assert api.post("/surveys/nps/follow-up-rules", rule).status_code == 201


def _seed_responses(api: ApiClient, survey: str, prefix: str) -> None:
    for n, score in enumerate((9, 4)):
        response = {
            "submission_id": f"{prefix}-{n}",
            "language": "en",
            "customer_id": f"cust-{n}",
            "answers": {"nps": score},
            "finished": True,
        }
        assert api.post(f"/surveys/{survey}/responses", response).status_code == 201


def _seed_segments(api: ApiClient) -> None:
    """A live segment of everyone, one of Osaka, and a materialized one, refreshed."""
    everyone = {"all": [{"field": "customer.orders.count", "op": "gte", "value": 0}, OSAKA]}
    for key, condition, materialized in (
        ("everyone", {"any": [everyone, {"not": OSAKA}]}, False),
        ("osaka", OSAKA, False),
        ("gone", OSAKA, False),
        ("members", {"any": [everyone, {"not": OSAKA}]}, True),
    ):
        body = {"id": key, "name": key, "condition": condition, "materialized": materialized}
        assert api.post("/segments", body).status_code == 201
    assert api.post("/segments/members/refresh").status_code == 200


def _count(api: ApiClient, pin: Pin, path: str) -> int:
    api.get("/customer-attributes")  # the key is looked up once, then cached
    body = pin.body() if pin.body else None
    with CaptureQueriesContext(connection) as queries:
        if pin.template in UPLOADS:
            response = api.client.post(
                f"/api/v1{pin.template}", {"file": _upload(pin.template)}, format="multipart"
            )
        elif pin.template.endswith(("/qr.png", "/qr.svg")):
            response = api.client.get(f"/api/v1{path}")
        elif pin.template.endswith("/export"):
            response = api.client.get(f"/api/v1{path}")
            b"".join(response.streaming_content)  # type: ignore[attr-defined]  # the file is read as it is written
        else:
            response = api.request(pin.method, path, body)
    assert response.status_code < 300, (pin, response.status_code)
    return len(queries)


def _upload(template: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, content = UPLOADS[template]
    return SimpleUploadedFile(name, content)


def _path(api: ApiClient, pin: Pin) -> str:
    if "{follow-up}" in pin.path or "{response}" in pin.path:
        from kizuna.feedback.models import FollowUp, Response

        follow_up = FollowUp.objects.order_by("pk").values_list("key", flat=True).first()
        answered = Response.objects.filter(survey__key="nps").order_by("pk")
        path = pin.path.replace("{follow-up}", str(follow_up))
        return path.replace("{response}", str(answered.values_list("key", flat=True).first()))
    if "{generation}" in pin.path:
        run = api.post("/voucher-campaigns/q-camp/codes", {"count": 2}).data
        return pin.path.replace("{generation}", run["id"])
    if "{codes-import}" in pin.path:
        from django.core.files.uploadedfile import SimpleUploadedFile

        codes = SimpleUploadedFile("codes.csv", b"code\nQ-IMPORTED-1\n")
        response = api.client.post(
            "/api/v1/voucher-campaigns/q-camp/codes", {"file": codes}, format="multipart"
        )
        return pin.path.replace("{codes-import}", str(response.json()["id"]))
    if "{import}" not in pin.path:
        return pin.path
    upload = "/" + pin.path.split("/")[1] + "/import"
    response = api.client.post(f"/api/v1{upload}", {"file": _upload(upload)}, format="multipart")
    return pin.path.replace("{import}", str(response.json()["id"]))


@pytest.mark.parametrize("pin", PINS, ids=lambda p: f"{p.method} {p.path}")
def test_queries_are_pinned(api: ApiClient, workspace: NewWorkspace, pin: Pin) -> None:
    _seed(api, 2)
    assert _count(api, pin, _path(api, pin)) == pin.queries


@pytest.mark.parametrize("pin", [p for p in PINS if p.list_of], ids=lambda p: p.path)
def test_a_list_costs_the_same_whatever_its_length(
    api: ApiClient, workspace: NewWorkspace, pin: Pin
) -> None:
    _seed(api, 2)
    few = _count(api, pin, _path(api, pin))
    _seed_more(api)
    assert _count(api, pin, _path(api, pin)) == few


def _seed_more(api: ApiClient) -> None:
    for n in range(10, 14):
        assert api.post("/orders", _order(n)).status_code == 201
        assert api.post("/orders", _order(2000 + n) | {"customer_id": "cust-0"}).status_code == 201
        refund = {"external_id": f"r-{n}", "amount": "1.00"}
        assert api.post(f"/orders/ord-{n}/refunds", refund).status_code == 201
    assert api.post("/segments/members/refresh").status_code == 200
    _seed_follow_up_rules(api, "more-")
    _seed_surveys(api, ("more-1", "more-2", "more-3"))
    _seed_vouchers(api, more=10)
    for n in range(3, 6):
        changed = {"definition": _survey_definition(f"v{n}")}
        assert api.patch("/surveys/nps", changed).status_code == 200


def _app_pins() -> list[Pin]:
    """The pins that apps keep beside their own tests (`kizuna/<app>/tests/test_*query_counts.py`,
    each with its `PINS` and its own seed)."""
    pins: list[Pin] = []
    root = Path(__file__).resolve().parents[2]
    for module_path in sorted(root.glob("*/tests/test_*query_counts.py")):
        if module_path.resolve() == Path(__file__).resolve():
            continue
        module = importlib.import_module(f"kizuna.{module_path.parts[-3]}.tests.{module_path.stem}")
        pins += module.PINS
    return pins


def test_every_operation_has_a_pin() -> None:
    pinned = {(p.method, p.template) for p in [*PINS, *_app_pins()]}
    for template, operations in openapi_document()["paths"].items():
        for method in operations:
            path = template.removeprefix("/api/v1")
            assert (method.upper(), path) in pinned, f"pin the queries of {method} {path}"
