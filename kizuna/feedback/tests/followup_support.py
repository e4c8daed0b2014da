"""A survey with an NPS, a CSAT and an open question, follow-up rules on it, and answers."""

from typing import Any

from conftest import ApiClient
from kizuna.feedback.tests.support import t

SURVEY = "loop"
RULES = f"/surveys/{SURVEY}/follow-up-rules"
RESPONSES = f"/surveys/{SURVEY}/responses"

DETRACTOR = {"field": "answers.nps", "op": "lte", "value": 6}
UNHAPPY = {"field": "answers.csat", "op": "between", "value": [1, 2]}


def loop_definition() -> dict[str, Any]:
    return {
        "hidden_fields": ["store"],
        "variables": [{"id": "score", "expression": "{answers.nps} * 10"}],
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {"id": "nps", "type": "nps", "title": t("Recommend us?")},
                    {"id": "csat", "type": "csat", "title": t("Satisfied?")},
                    {"id": "why", "type": "text", "title": t("Why?")},
                ],
            }
        ],
    }


def loop_survey(api: ApiClient, *rules: dict[str, Any]) -> None:
    """The survey `loop`, published, with these follow-up rules."""
    body = {
        "id": SURVEY,
        "name": "Store visit",
        "languages": ["en"],
        "default_language": "en",
        "timezone": "UTC",
        "definition": loop_definition(),
    }
    assert api.post("/surveys", body).status_code == 201
    assert api.post(f"/surveys/{SURVEY}/publish").status_code == 200
    for rule in rules:
        created = api.post(RULES, rule)
        assert created.status_code == 201, created.data


def rule(
    key: str = "detractor",
    condition: dict[str, Any] | None = None,
    *actions: dict[str, Any],
    **changes: Any,
) -> dict[str, Any]:
    body = {
        "id": key,
        "name": "Call back a detractor",
        "condition": DETRACTOR if condition is None else condition,
        "actions": list(actions) or [{"type": "task", "due_in_hours": 24}],
    }
    body.update(changes)
    return body


def answered(
    submission_id: str = "sub-1", customer_id: str | None = "cust-1", **answers: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submission_id": submission_id,
        "language": "en",
        "answers": answers or {"nps": 3, "csat": 2, "why": "Slow."},
        "finished": True,
    }
    if customer_id is not None:
        body["customer_id"] = customer_id
    return body


def customer(api: ApiClient, customer_id: str = "cust-1") -> None:
    assert api.put(f"/customers/{customer_id}", {"email": "ann@example.com"}).status_code == 201


def audit_rows(action: str) -> list[dict[str, Any]]:
    """The audit rows of `action`, oldest first: before, after, reason, actor, object id."""
    from kizuna.core.models import AuditEntry

    return [
        {
            "before": entry.before or {},
            "after": entry.after or {},
            "reason": entry.reason,
            "actor": (entry.actor_type, entry.actor_id),
            "object_id": entry.object_id,
        }
        for entry in AuditEntry.objects.filter(action=action).order_by("pk")
    ]
