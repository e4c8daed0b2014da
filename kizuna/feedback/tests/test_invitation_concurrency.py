"""Runs of the invitation sender and of the reminder job at the same moment: each invitation
and each reminder is claimed by one run, so no customer is emailed twice (PostgreSQL)."""

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from conftest import POSTGRES_ONLY, ApiClient, SmtpInbox, run_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core import clock
from kizuna.feedback.models import Invitation
from kizuna.feedback.services import invitations
from kizuna.feedback.tests.response_support import published

pytestmark = POSTGRES_ONLY
CUSTOMERS = 40


def _invited(workspace: NewWorkspace) -> str:
    api = ApiClient(workspace.server_key)
    published(api)
    ids = [f"cust-{n}" for n in range(CUSTOMERS)]
    for external_id in ids:
        body = {
            "email": f"{external_id}@example.com",
            "consents": {"surveys": {"status": "granted"}},
        }
        assert api.put(f"/customers/{external_id}", body).status_code == 201
    queued = api.post("/surveys/relationship/invitations", {"customer_ids": ids})
    assert (queued.status_code, queued.data["queued"]) == (202, CUSTOMERS)
    return str(queued.data["id"])


def test_concurrent_runs_email_each_customer_once(
    workspace: NewWorkspace, smtp_server: SmtpInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invitations, "BATCH_SIZE", 3)  # many claims, interleaved
    batch = _invited(workspace)
    results = run_together(
        workspace.server_key,
        [
            lambda _: invitations.send_waiting(batch),
            lambda _: invitations.send_waiting(),
            lambda _: invitations.send_waiting(batch),
        ],
    )
    assert sum(sent for sent, _ in results) == CUSTOMERS
    assert all(failed == 0 for _, failed in results)
    sent_to = Counter(message["To"] for message in smtp_server.messages)
    assert len(sent_to) == CUSTOMERS and set(sent_to.values()) == {1}
    assert set(Invitation.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_concurrent_reminder_jobs_remind_once(
    workspace: NewWorkspace, smtp_server: SmtpInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invitations, "BATCH_SIZE", 3)
    batch = _invited(workspace)
    assert invitations.send_waiting(batch) == (CUSTOMERS, 0)
    later = clock.now() + timedelta(days=3, minutes=1)

    def job(_: Any) -> tuple[int, int]:
        with clock.at(later):  # threads start with a context of their own
            invitations.send_waiting()
            return invitations.send_reminders()

    results = run_together(workspace.server_key, [job, job, job])
    assert sum(sent for sent, _ in results) == CUSTOMERS
    reminders = Counter(
        m["To"] for m in smtp_server.messages if m["Subject"].startswith("Reminder")
    )
    assert len(reminders) == CUSTOMERS and set(reminders.values()) == {1}
    assert len(smtp_server.messages) == 2 * CUSTOMERS
