"""The audit log's own rules: an entry is written only inside the transaction of a change,
by a known kind of actor, with its snapshots as JSON the API would write."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import SYSTEM, Actor
from kizuna.core.models import AuditEntry, Workspace


@pytest.fixture
def shop(db: None) -> Workspace:
    return Workspace.objects.create(slug="audit-shop", name="Audit shop")


@pytest.mark.django_db(transaction=True)
def test_an_entry_outside_a_transaction_is_refused(shop: Workspace) -> None:
    with pytest.raises(RuntimeError):
        audit.record(shop, SYSTEM, "thing.changed", "thing", "1")
    assert not AuditEntry.objects.exists()
    with transaction.atomic():
        audit.record(shop, SYSTEM, "thing.changed", "thing", "1")
    assert AuditEntry.objects.count() == 1


def test_an_actor_is_staff_an_api_key_or_the_system() -> None:
    assert Actor("staff", "7").type == "staff"
    with pytest.raises(ValueError):
        Actor("robot", "1")


def test_snapshots_are_stored_as_the_api_writes_them(shop: Workspace) -> None:
    with transaction.atomic():
        entry = audit.record(
            shop,
            Actor("api_key", "sk_AbCdEfG"),
            "thing.changed",
            "thing",
            "1",
            before={"at": datetime(2026, 5, 3, 1, 12, 9, tzinfo=UTC), "amount": Decimal("12.50")},
            after={"tags": ("a", "b"), "n": 3},
            reason="because",
        )
    entry.refresh_from_db()
    assert entry.before == {"at": "2026-05-03T01:12:09Z", "amount": "12.50"}
    assert entry.after == {"tags": ["a", "b"], "n": 3}
    assert (entry.actor_type, entry.actor_id, entry.reason) == ("api_key", "sk_AbCdEfG", "because")
