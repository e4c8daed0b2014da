"""Follow-up rules as a resource of a survey: created, read, changed, deleted; conditions and
actions checked when saved, a refused one changing nothing."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.feedback.models import FollowUpRule
from kizuna.feedback.tests.followup_support import (
    DETRACTOR,
    RULES,
    UNHAPPY,
    audit_rows,
    loop_survey,
    rule,
)
from kizuna.feedback.tests.support import assert_error

pytestmark = pytest.mark.django_db


def _rows() -> list[dict[str, Any]]:
    return [dict(row) for row in FollowUpRule.objects.order_by("pk").values()]


def test_a_detractor_rule_and_a_csat_rule_are_created_and_read(api: ApiClient) -> None:
    loop_survey(api)
    email = {"type": "email", "to": "cx@shop.example", "subject": "A detractor"}
    created = api.post(
        RULES, rule("detractor", DETRACTOR, {"type": "task", "due_in_hours": 24}, email)
    )
    assert created.status_code == 201, created.data
    assert created.data | {"created_at": None, "updated_at": None} == {
        "id": "detractor",
        "survey_id": "loop",
        "name": "Call back a detractor",
        "condition": DETRACTOR,
        "actions": [{"type": "task", "due_in_hours": 24}, email],
        "enabled": True,
        "created_at": None,
        "updated_at": None,
    }
    unhappy = rule("unhappy", UNHAPPY, {"type": "task", "due_in_hours": 4, "assignee": "Ana"})
    assert api.post(RULES, unhappy | {"name": "CSAT of 1-2"}).status_code == 201
    listed = api.get(RULES)
    assert [r["id"] for r in listed.data["data"]] == ["detractor", "unhappy"]
    one = api.get(f"{RULES}/unhappy")
    assert one.data["actions"] == [{"type": "task", "due_in_hours": 4, "assignee": "Ana"}]
    audit = AuditEntry.objects.filter(action="follow_up_rule.created").order_by("pk")
    assert [a.object_id for a in audit] == ["loop/detractor", "loop/unhappy"]


def test_a_condition_may_read_hidden_fields_variables_and_the_customer(api: ApiClient) -> None:
    loop_survey(api)
    condition = {
        "all": [
            {"field": "hidden.store", "op": "eq", "value": "shibuya"},
            {"field": "variables.score", "op": "lt", "value": 70},
            {"field": "customer.email", "op": "exists"},
            {"field": "answers.why", "op": "contains", "value": "slow"},
        ]
    }
    created = api.post(RULES, rule("mixed", condition))
    assert created.status_code == 201, created.data
    assert created.data["condition"] == condition


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"field": "answers.nope", "op": "lte", "value": 6}, "condition.field"),
        ({"all": [DETRACTOR, {"field": "hidden.city", "op": "exists"}]}, "condition.all[1].field"),
        ({"any": [{"field": "variables.nope", "op": "gt", "value": 1}]}, "condition.any[0].field"),
        ({"field": "answers.nps", "op": "starts_with", "value": "x"}, "condition.op"),
        ({"field": "order.total", "op": "gt", "value": "1.00"}, "condition.field"),
    ],
)
def test_a_condition_naming_what_the_survey_lacks_is_refused(
    api: ApiClient, condition: dict[str, Any], field: str
) -> None:
    loop_survey(api)
    before = _rows()
    assert_error(api.post(RULES, rule("bad", condition)), 422, "invalid_condition", field)
    assert _rows() == before == []


@pytest.mark.parametrize(
    ("action", "code", "field"),
    [
        ({"type": "call"}, "invalid_action", "actions[0].type"),
        ({"type": "task"}, "invalid_action", "actions[0].due_in_hours"),
        ({"type": "task", "due_in_hours": 0}, "invalid_action", "actions[0].due_in_hours"),
        ({"type": "task", "due_in_hours": 2, "to": "x"}, "invalid_action", "actions[0].to"),
        ({"type": "email", "to": "not an address"}, "invalid_action", "actions[0].to"),
        (
            {"type": "points", "program_id": "nope", "points": 5},
            "unknown_program",
            "actions[0].program_id",
        ),
        (
            {"type": "points", "program_id": "club", "points": -5},
            "invalid_action",
            "actions[0].points",
        ),
    ],
)
def test_a_bad_action_is_refused(
    api: ApiClient, action: dict[str, Any], code: str, field: str
) -> None:
    loop_survey(api)
    club = {"id": "club", "name": "Club", "currency": "USD", "timezone": "UTC", "status": "active"}
    assert api.post("/programs", club).status_code == 201
    assert_error(api.post(RULES, rule("bad", DETRACTOR, action)), 422, code, field)
    assert _rows() == []


def test_no_actions_no_name_and_a_taken_id_are_refused(api: ApiClient) -> None:
    loop_survey(api, rule("detractor"))
    before = _rows()
    assert_error(api.post(RULES, rule("other") | {"actions": []}), 422, "invalid_action", "actions")
    assert_error(api.post(RULES, rule("detractor")), 409, "follow_up_rule_exists", "id")
    assert_error(
        api.post("/surveys/nope/follow-up-rules", rule()), 404, "survey_not_found", "survey_id"
    )
    assert _rows() == before


def test_a_rule_is_changed_audited_and_deleted(api: ApiClient) -> None:
    loop_survey(api, rule("detractor"))
    changed = api.patch(f"{RULES}/detractor", {"enabled": False, "condition": UNHAPPY})
    assert changed.status_code == 200, changed.data
    assert (changed.data["enabled"], changed.data["condition"]) == (False, UNHAPPY)
    (entry,) = audit_rows("follow_up_rule.updated")
    assert (entry["before"]["enabled"], entry["after"]["enabled"]) == (True, False)
    assert entry["after"]["condition"] == UNHAPPY
    bad = {"condition": {"field": "answers.gone", "op": "exists"}}
    before = _rows()
    assert_error(api.patch(f"{RULES}/detractor", bad), 422, "invalid_condition", "condition.field")
    assert _rows() == before
    assert api.delete(f"{RULES}/detractor").status_code == 204
    assert_error(api.get(f"{RULES}/detractor"), 404, "follow_up_rule_not_found", "rule_id")
    (deleted,) = audit_rows("follow_up_rule.deleted")
    assert (deleted["before"]["id"], deleted["after"]) == ("detractor", {})
    assert _rows() == []
