"""The audit log over loyalty objects: program, rule, tier and milestone changes and every
manual adjustment write one entry (who, what, which action, before and after, when) in the
transaction of the change; GET /audit-log filters them by object, actor and time; a refused
or rolled-back change leaves none; only server keys (or staff, through the services) act."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from conftest import ApiClient
from kizuna.accounts.models import ApiKey
from kizuna.accounts.services import NewWorkspace, create_staff
from kizuna.core import clock
from kizuna.core.audit import SYSTEM, Actor
from kizuna.core.models import AuditEntry
from kizuna.loyalty.models import LedgerEntry, Program
from kizuna.loyalty.services import adjustments, programs
from kizuna.loyalty.tests.support import PROGRAM, make_program, order

pytestmark = pytest.mark.django_db

RULE = {
    "id": "flat",
    "name": "Flat",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "fixed", "points": 5},
}
TIER = {
    "id": "gold",
    "name": "Gold",
    "rank": 1,
    "qualify": {"metric": "points_earned", "threshold": 100, "window": "lifetime"},
}
MILESTONE = {
    "id": "regular",
    "name": "Regular",
    "goal": {"type": "count", "trigger": {"type": "order_paid"}, "target": 3},
    "points": 50,
}
ADJUST = "/customers/cust-1/loyalty/tea-club/adjustments"


def prefix(key: str) -> str:
    return str(ApiKey.objects.get(prefix=key[:10]).prefix)


def log(api: ApiClient, query: str = "") -> list[dict[str, Any]]:
    response = api.get(f"/audit-log?limit=500{query}")
    assert response.status_code == 200, response.data
    assert response.data["next_cursor"] is None
    return list(response.data["data"])


def test_every_loyalty_change_writes_one_entry_with_its_actor(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    key = prefix(workspace.server_key)
    assert key.startswith("sk_") and len(key) == 10
    created = api.post("/programs", PROGRAM)
    assert api.post("/programs/tea-club/earning-rules", RULE).status_code == 201
    assert api.post("/programs/tea-club/tiers", TIER).status_code == 201
    assert api.post("/programs/tea-club/milestones", MILESTONE).status_code == 201
    api.patch("/programs/tea-club", {"name": "Tea Club Plus"})
    api.patch("/programs/tea-club/earning-rules/flat", {"effect": {"type": "fixed", "points": 6}})
    api.patch("/programs/tea-club/tiers/gold", {"grace_days": 30})
    api.post("/orders", order())  # earning is not audited: it is in the ledger
    adjusted = api.post(ADJUST, {"points": 20, "reason": "Parcel arrived damaged (ticket 5521)"})
    assert adjusted.status_code == 201
    assert api.delete("/programs/tea-club/earning-rules/flat").status_code == 204

    entries = list(reversed(log(api)))  # oldest first
    assert [(e["action"], e["object"]) for e in entries] == [
        ("program.created", {"type": "program", "id": "tea-club"}),
        ("earning_rule.created", {"type": "earning_rule", "id": "tea-club/flat"}),
        ("tier.created", {"type": "tier", "id": "tea-club/gold"}),
        ("milestone.created", {"type": "milestone", "id": "tea-club/regular"}),
        ("program.updated", {"type": "program", "id": "tea-club"}),
        ("earning_rule.updated", {"type": "earning_rule", "id": "tea-club/flat"}),
        ("tier.updated", {"type": "tier", "id": "tea-club/gold"}),
        ("points.adjusted", {"type": "loyalty_account", "id": "tea-club/cust-1"}),
        ("earning_rule.deleted", {"type": "earning_rule", "id": "tea-club/flat"}),
    ]
    assert all(e["actor"] == {"type": "api_key", "id": key} for e in entries)
    assert AuditEntry.objects.count() == len(entries)
    # The request that made each change is named.
    assert entries[0]["request_id"] == created.headers["X-Request-Id"]
    assert entries[7]["request_id"] == adjusted.headers["X-Request-Id"]

    program_created, program_updated = entries[0], entries[4]
    assert program_created["before"] is None
    assert program_created["after"] == {
        "id": "tea-club",
        "name": "Tea Club",
        "points_name": {"default": "leaves", "ja": "リーフ", "ko": "잎"},
        "currency": "USD",
        "timezone": "Asia/Tokyo",
        "status": "active",
        "enrolment": "automatic",
        "pending": None,
        "expiry": {"policy": "none"},
        "returns": {"clawback": True, "allow_negative": False},
    }
    assert program_updated["before"] == program_created["after"]
    assert program_updated["after"] == {**program_created["after"], "name": "Tea Club Plus"}

    rule_updated = entries[5]
    assert rule_updated["before"]["effect"] == {"type": "fixed", "points": 5}
    assert rule_updated["after"]["effect"] == {"type": "fixed", "points": 6}
    assert {k: v for k, v in rule_updated["after"].items() if k != "effect"} == {
        k: v for k, v in rule_updated["before"].items() if k != "effect"
    }
    assert (entries[8]["before"]["effect"], entries[8]["after"]) == (
        {"type": "fixed", "points": 6},
        None,
    )
    assert (entries[6]["before"]["grace_days"], entries[6]["after"]["grace_days"]) == (0, 30)
    assert entries[3]["after"]["points"] == 50

    adjustment = entries[7]
    assert adjustment["before"] == {"active": 6, "pending": 0}
    assert adjustment["after"] == {"active": 26, "pending": 0, "points": 20}
    assert adjustment["reason"] == "Parcel arrived damaged (ticket 5521)"
    entry = LedgerEntry.objects.get(type="adjust")
    assert (entry.points, entry.source_type, entry.source_id) == (20, "adjustment", key)


def test_times_in_snapshots_are_written_as_the_api_writes_them(api: ApiClient) -> None:
    make_program(api, [])
    window = {
        "active_from": "2026-04-01T00:00:00+09:00",
        "active_until": "2026-05-01T09:00:00+09:00",
    }
    created = api.post("/programs/tea-club/earning-rules", {**RULE, **window}).data
    after = log(api, "&object_type=earning_rule")[0]["after"]
    assert (
        (after["active_from"], after["active_until"])
        == (
            created["active_from"],
            created["active_until"],
        )
        == ("2026-03-31T15:00:00Z", "2026-05-01T00:00:00Z")
    )


def test_the_log_is_filtered_by_object_actor_and_time(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    key = prefix(workspace.server_key)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with clock.at(start):
        make_program(api, [RULE])
    with clock.at(start + timedelta(hours=1)):
        make_program(api, [], id="sake-club", name="Sake Club")
        api.patch("/programs/tea-club", {"status": "paused"})
    with clock.at(start + timedelta(hours=2)):
        staff, _ = create_staff("agent@example.com", workspace.workspace, "admin")
        api.put("/customers/cust-1", {"email": "a@example.com"})
        adjustments.adjust(
            workspace.workspace,
            "cust-1",
            "tea-club",
            {"points": 15, "reason": "Phone call, ticket 77"},
            Actor("staff", str(staff.pk)),
        )
    by_object = log(api, "&object_type=program&object_id=tea-club")
    assert [e["action"] for e in by_object] == ["program.updated", "program.created"]
    assert [e["object"]["id"] for e in log(api, "&object_type=program")] == [
        "tea-club",
        "sake-club",
        "tea-club",
    ]
    assert [e["action"] for e in log(api, "&object_id=tea-club/flat")] == ["earning_rule.created"]

    staff_entries = log(api, f"&actor=staff:{staff.pk}")
    assert [(e["action"], e["actor"]) for e in staff_entries] == [
        ("points.adjusted", {"type": "staff", "id": str(staff.pk)})
    ]
    assert staff_entries[0]["request_id"] == ""  # not made by a request
    assert staff_entries[0]["created_at"] == "2026-06-01T02:00:00Z"
    assert len(log(api, f"&actor=api_key:{key}")) == 4
    assert len(log(api, f"&actor={key}")) == 4  # an id alone
    assert log(api, "&actor=staff:" + key) == []

    hour = log(api, "&from=2026-06-01T10:00:00%2B09:00&to=2026-06-01T02:00:00Z")
    assert [e["action"] for e in hour] == ["program.updated", "program.created"]
    assert [e["created_at"] for e in hour] == ["2026-06-01T01:00:00Z"] * 2
    # Newest first, across pages.
    first = api.get("/audit-log?limit=2").data
    second = api.get(f"/audit-log?limit=2&cursor={first['next_cursor']}").data
    third = api.get(f"/audit-log?limit=2&cursor={second['next_cursor']}").data
    assert [e["id"] for e in first["data"] + second["data"] + third["data"]] == [
        e["id"] for e in log(api)
    ]
    assert third["next_cursor"] is None


def test_a_change_that_changes_nothing_or_fails_writes_no_entry(api: ApiClient) -> None:
    make_program(api, [RULE])
    api.post("/orders", order())
    before = AuditEntry.objects.count()
    # The same values again: nothing changed, nothing recorded.
    assert api.patch("/programs/tea-club", {"name": "Tea Club"}).status_code == 200
    assert api.patch("/programs/tea-club/earning-rules/flat", {"priority": 100}).status_code == 200
    # Refused changes.
    assert api.patch("/programs/tea-club", {"timezone": "Nowhere/Land"}).status_code == 422
    assert api.post("/programs", PROGRAM).status_code == 409
    bad_rule = {**RULE, "id": "other", "effect": {"type": "fixed", "points": -1}}
    assert api.post("/programs/tea-club/earning-rules", bad_rule).status_code == 422
    assert api.post("/programs/tea-club/earning-rules", RULE).status_code == 409
    too_many = {"points": -1000, "reason": "Mistake"}
    assert api.post(ADJUST, too_many).status_code == 422
    assert api.post(ADJUST, {"points": 10}).status_code == 422
    assert api.post(ADJUST, {"points": 10, "reason": "   "}).status_code == 422
    assert AuditEntry.objects.count() == before
    assert LedgerEntry.objects.count() == 1


def test_an_entry_is_part_of_the_transaction_of_its_change(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    api.post("/orders", order())
    before = AuditEntry.objects.count()

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        programs.update_program(workspace.workspace, "tea-club", {"name": "Renamed"}, SYSTEM)
        adjustments.adjust(
            workspace.workspace, "cust-1", "tea-club", {"points": 5, "reason": "r"}, SYSTEM
        )
        assert AuditEntry.objects.count() == before + 2
        raise Abandon
    assert AuditEntry.objects.count() == before
    assert Program.objects.get().name == "Tea Club"
    assert LedgerEntry.objects.count() == 1


def test_publishable_keys_may_not_change_loyalty_or_read_the_log(
    api: ApiClient, browser_api: ApiClient
) -> None:
    make_program(api, [RULE])
    api.post("/orders", order())
    before = (AuditEntry.objects.count(), LedgerEntry.objects.count())
    attempts = [
        browser_api.post(ADJUST, {"points": 1000, "reason": "I deserve it"}),
        browser_api.post("/programs", {**PROGRAM, "id": "mine"}),
        browser_api.patch("/programs/tea-club", {"status": "paused"}),
        browser_api.post("/programs/tea-club/earning-rules", {**RULE, "id": "mine"}),
        browser_api.patch(
            "/programs/tea-club/earning-rules/flat", {"effect": {"type": "fixed", "points": 1000}}
        ),
        browser_api.delete("/programs/tea-club/earning-rules/flat"),
        browser_api.post("/programs/tea-club/tiers", TIER),
        browser_api.get("/audit-log"),
    ]
    assert [(r.status_code, r.data["code"]) for r in attempts] == [
        (403, "server_key_required")
    ] * len(attempts)
    assert (AuditEntry.objects.count(), LedgerEntry.objects.count()) == before
    assert api.get("/programs/tea-club").data["status"] == "active"


def test_a_workspace_sees_only_its_own_entries(api: ApiClient, other_api: ApiClient) -> None:
    make_program(api)
    make_program(other_api, [], id="other-club", name="Other")
    assert [e["object"]["id"] for e in log(other_api)] == ["other-club"]
    assert log(other_api, "&object_id=tea-club") == []
    assert [e["object"]["id"] for e in log(api, "&object_type=program")] == ["tea-club"]


def test_bad_filters_are_refused(api: ApiClient) -> None:
    for query, code, field in [
        ("?from=yesterday", "invalid_datetime", "from"),
        ("?to=2026-06-01T00:00:00", "datetime_without_offset", "to"),
        ("?limit=0", "invalid_limit", "limit"),
        ("?cursor=abc", "invalid_cursor", "cursor"),
    ]:
        response = api.get(f"/audit-log{query}")
        assert (response.status_code, response.data["code"], response.data["field"]) == (
            422,
            code,
            field,
        ), query


def test_operators_may_look_at_loyalty_in_the_admin_but_not_change_it(api: ApiClient) -> None:
    from django.test import Client

    from kizuna.accounts.models import StaffUser
    from kizuna.loyalty.models import Account

    make_program(api)
    api.post("/orders", order())
    StaffUser.objects.create_superuser("ops@kizuna.example", "a long operator password")
    client = Client()
    assert client.login(email="ops@kizuna.example", password="a long operator password")
    program, account = Program.objects.get(), Account.objects.get()
    assert client.get("/admin/loyalty/program/").status_code == 200
    assert client.get(f"/admin/loyalty/account/{account.pk}/change/").status_code == 200
    before = AuditEntry.objects.count()
    changed = client.post(
        f"/admin/loyalty/account/{account.pk}/change/",
        {"active": 1_000_000, "pending": 0, "program": program.pk, "customer": account.customer_id},
    )
    assert changed.status_code == 403
    renamed = client.post(f"/admin/loyalty/program/{program.pk}/change/", {"name": "Mine"})
    assert renamed.status_code == 403
    assert (
        client.post(f"/admin/loyalty/program/{program.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (Account.objects.get().active, Program.objects.get().name) == (31, "Tea Club")
    assert AuditEntry.objects.count() == before


def test_a_replayed_adjustment_is_audited_once(api: ApiClient) -> None:
    make_program(api)
    api.post("/orders", order())
    body = {"points": 20, "reason": "Goodwill"}
    first = api.post(ADJUST, body, **{"Idempotency-Key": "adj-1"})
    again = api.post(ADJUST, body, **{"Idempotency-Key": "adj-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    assert [e["action"] for e in log(api, "&object_type=loyalty_account")] == ["points.adjusted"]
    assert LedgerEntry.objects.filter(type="adjust").count() == 1
    # Without the key, the same body is another adjustment, audited again.
    assert api.post(ADJUST, body).data["balance_after"] == 71
    assert len(log(api, "&object_type=loyalty_account")) == 2
