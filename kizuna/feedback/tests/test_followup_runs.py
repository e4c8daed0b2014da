"""A completed response runs the survey's matching follow-up rules once: a task, a staff
email through a real SMTP server, loyalty points through the loyalty engine; and the outbox
gets response.completed and nps.detractor in the same transaction."""

from datetime import timedelta
from typing import Any

import pytest

from conftest import ApiClient, postgres_only, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.customers.models import TimelineEntry
from kizuna.feedback.models import FollowUp, FollowUpRun, Response
from kizuna.feedback.services.followup_actions import send_email
from kizuna.feedback.tests.followup_support import (
    DETRACTOR,
    RESPONSES,
    UNHAPPY,
    answered,
    customer,
    loop_survey,
    rule,
)
from kizuna.feedback.tests.support import assert_error
from kizuna.loyalty.models import LedgerEntry
from kizuna.loyalty.services.verify import verify

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_a_detractor_gets_one_task_due_in_a_day_and_a_passive_none(api: ApiClient) -> None:
    loop_survey(api, rule("detractor"), rule("unhappy", UNHAPPY, name="CSAT of 1-2"))
    customer(api)
    saved = api.post(RESPONSES, answered(nps=3, csat=4))
    assert saved.status_code == 201, saved.data
    assert api.post(RESPONSES, answered("sub-2", nps=8, csat=5)).status_code == 201
    follow_up = FollowUp.objects.select_related("response", "customer", "survey").get()
    response = Response.objects.get(key=saved.data["id"])
    assert (follow_up.status, follow_up.reason, follow_up.assignee) == (
        "open",
        "Call back a detractor",
        "",
    )
    assert follow_up.response == response
    assert follow_up.customer is not None and follow_up.customer.external_id == "cust-1"
    assert follow_up.survey.key == "loop"
    assert response.completed_at is not None
    assert follow_up.due_at == response.completed_at + timedelta(hours=24)
    run = FollowUpRun.objects.get()
    assert run.outcomes == [{"type": "task", "status": "done", "follow_up_id": follow_up.key}]
    entry = TimelineEntry.objects.get(kind="follow_up")
    assert entry.object_id == follow_up.key
    assert entry.summary["response_id"] == response.key
    audit = AuditEntry.objects.get(action="follow_up.created")
    assert (audit.actor_type, audit.actor_id) == ("system", "follow_up_rule:loop/detractor")


def test_a_csat_of_1_or_2_matches_its_rule(api: ApiClient) -> None:
    loop_survey(
        api, rule("unhappy", UNHAPPY, {"type": "task", "due_in_hours": 4, "assignee": "Ana"})
    )
    for n, csat in enumerate((1, 2, 3, 5)):
        assert api.post(RESPONSES, answered(f"s-{n}", None, nps=9, csat=csat)).status_code == 201
    rows = FollowUp.objects.order_by("pk")
    assert [
        (f.response.answers["csat"] if f.response else None, f.assignee, f.customer) for f in rows
    ] == [
        (1, "Ana", None),
        (2, "Ana", None),
    ]


def test_retries_and_saves_after_completion_never_run_a_rule_again(api: ApiClient) -> None:
    loop_survey(api, rule("detractor"))
    body = answered(customer_id=None)
    progress = body | {"finished": False}
    assert api.post(RESPONSES, progress).status_code == 201
    assert FollowUp.objects.count() == 0  # a save in progress runs nothing
    assert api.post(RESPONSES, body).status_code == 200
    replay = api.post(RESPONSES, body)
    assert replay.status_code == 200
    changed = body | {"answers": {"nps": 1}}
    assert_error(api.post(RESPONSES, changed), 409, "response_finished", "submission_id")
    assert (FollowUp.objects.count(), FollowUpRun.objects.count()) == (1, 1)


def test_a_disabled_rule_and_a_rule_whose_condition_fails_do_nothing(api: ApiClient) -> None:
    variables = {"field": "variables.score", "op": "lt", "value": 40}
    loop_survey(
        api,
        rule("off", enabled=False),
        rule("low-score", variables, name="Score under 40"),
        rule("store", {"field": "hidden.store", "op": "eq", "value": "shibuya"}, name="Shibuya"),
    )
    body = answered(customer_id=None, nps=3) | {"hidden": {"store": "ueno"}}
    assert api.post(RESPONSES, body).status_code == 201
    assert [f.reason for f in FollowUp.objects.all()] == ["Score under 40"]


def test_response_completed_and_nps_detractor_are_in_the_outbox(api: ApiClient) -> None:
    loop_survey(api)
    customer(api)
    saved = api.post(RESPONSES, answered(nps=4))
    assert api.post(RESPONSES, answered("sub-2", nps=7)).status_code == 201
    completed = OutboxEvent.objects.filter(type="response.completed")
    assert {e.payload["response_id"] for e in completed} == {
        saved.data["id"],
        Response.objects.get(submission_id="sub-2").key,
    }
    detractor = OutboxEvent.objects.get(type="nps.detractor")
    assert detractor.payload == {
        "survey_id": "loop",
        "response_id": saved.data["id"],
        "element_id": "nps",
        "customer_id": "cust-1",
        "score": 4,
    }
    assert not OutboxEvent.objects.filter(type="survey.response_completed").exists()


def test_the_staff_email_goes_through_smtp_once(
    api: ApiClient, smtp_server: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    settings.KIZUNA_PUBLIC_URL = "https://kizuna.example"
    email = {"type": "email", "to": "cx@shop.example", "subject": "Detractor at the store"}
    loop_survey(api, rule("detractor", DETRACTOR, email))
    with django_capture_on_commit_callbacks(execute=True):
        saved = api.post(RESPONSES, answered(customer_id=None, nps=2, why="Cold tea."))
    assert saved.status_code == 201
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == "Detractor at the store"
    assert smtp_server.envelopes[0][1] == ["cx@shop.example"]
    body = message.get_content()
    assert "- Recommend us? (nps): 2" in body
    assert "- Why? (why): Cold tea." in body
    link = f"https://kizuna.example/api/v1/surveys/loop/responses/{saved.data['id']}"
    assert link in body
    # The link answers the response.
    read = api.get(link.removeprefix("https://kizuna.example"))
    assert (read.status_code, read.data["answers"]) == (200, {"nps": 2, "why": "Cold tea."})
    run = FollowUpRun.objects.get()
    assert run.outcomes[0]["status"] == "sent"
    assert send_email(run.pk, 0) is False  # a retried task sends nothing more
    assert len(smtp_server.messages) == 1


def _club(api: ApiClient, **changes: Any) -> None:
    body = {"id": "club", "name": "Club", "currency": "USD", "timezone": "UTC", "status": "active"}
    assert api.post("/programs", body | changes).status_code == 201


def test_points_are_granted_once_per_response_through_the_ledger(api: ApiClient) -> None:
    _club(api, enrolment="explicit")
    customer(api)
    assert api.post("/programs/club/members", {"customer_id": "cust-1"}).status_code == 201
    points = {"type": "points", "program_id": "club", "points": 50}
    loop_survey(api, rule("thanks", {"all": []}, points, name="Thank you points"))
    body = answered(nps=10)
    assert api.post(RESPONSES, body).status_code == 201
    assert api.post(RESPONSES, body).status_code == 200  # a retry
    entry = LedgerEntry.objects.get()
    assert (entry.type, entry.points, entry.source_type) == ("adjust", 50, "adjustment")
    assert "Thank you points" in entry.reason
    loyalty = api.get("/customers/cust-1/loyalty").data["data"][0]
    assert loyalty["points"]["active"] == 50
    assert FollowUpRun.objects.get().outcomes == [
        {
            "type": "points",
            "program_id": "club",
            "status": "done",
            "points": 50,
            "entry_id": entry.pk,
        }
    ]
    assert verify() == []


@pytest.mark.parametrize(
    ("program", "member", "customer_id", "reason"),
    [
        ({"enrolment": "explicit"}, False, "cust-1", "not_a_member"),
        ({"status": "paused"}, True, "cust-1", "program_not_active"),
        ({}, False, None, "no_customer"),
    ],
)
def test_points_that_cannot_be_granted_are_skipped_and_the_response_stands(
    api: ApiClient, program: dict[str, Any], member: bool, customer_id: str | None, reason: str
) -> None:
    _club(api, **program)
    customer(api)
    if member:
        assert api.post("/programs/club/members", {"customer_id": "cust-1"}).status_code == 201
    points = {"type": "points", "program_id": "club", "points": 50}
    loop_survey(api, rule("thanks", {"all": []}, {"type": "task", "due_in_hours": 1}, points))
    saved = api.post(RESPONSES, answered(customer_id=customer_id, nps=9))
    assert (saved.status_code, saved.data["status"]) == (201, "completed")
    outcomes = FollowUpRun.objects.get().outcomes
    assert outcomes[1] == {
        "type": "points",
        "program_id": "club",
        "status": "skipped",
        "reason": reason,
    }
    assert FollowUp.objects.count() == 1  # the other actions ran
    assert LedgerEntry.objects.filter(type="adjust").count() == 0
    assert verify() == []


@postgres_only
def test_concurrent_saves_of_one_detractor_submission_create_one_task(
    workspace: NewWorkspace,
) -> None:
    api = ApiClient(workspace.server_key)
    loop_survey(api, rule("detractor"))
    body = answered(customer_id=None, nps=1)
    responses = send_together(workspace.publishable_key, [("POST", RESPONSES, body)] * 6)
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert (FollowUp.objects.count(), FollowUpRun.objects.count()) == (1, 1)
    assert OutboxEvent.objects.filter(type="nps.detractor").count() == 1


def test_a_rule_runs_once_even_if_completion_is_handled_twice(api: ApiClient) -> None:
    """The run's unique (rule, response) is the last line behind the response's lock."""
    from kizuna.feedback.services.followups import response_completed

    loop_survey(api, rule("detractor"))
    assert api.post(RESPONSES, answered(customer_id=None, nps=0)).status_code == 201
    response = Response.objects.select_related("survey", "workspace", "customer").get()
    assert response.completed_at is not None
    response_completed(response, response.survey.definition, response.completed_at)
    assert (FollowUp.objects.count(), FollowUpRun.objects.count()) == (1, 1)
