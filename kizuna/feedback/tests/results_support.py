"""Rows for the results tests, written directly (the responses service is not what these
tests are about): a survey, customers, displays, and responses with their answer rows in the
projection's shapes (models/responses.py), in bulk."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.feedback.definitions import element_types
from kizuna.feedback.models import Answer, Display, Response, ResponseStatus, Survey
from kizuna.feedback.results.rollup import apply_answers
from kizuna.feedback.tests.support import t


def results_definition() -> dict[str, Any]:
    """Two pages: every element type that has results, then a comment."""
    return {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {"id": "nps", "type": "nps", "title": t("Recommend?")},
                    {"id": "csat", "type": "csat", "title": t("Satisfied?")},
                    {"id": "ces", "type": "ces", "title": t("Easy?")},
                    {"id": "stars", "type": "rating", "title": t("Stars"), "points": 5},
                    {"id": "intro", "type": "statement", "title": t("Next: choices")},
                ],
            },
            {
                "id": "p2",
                "elements": [
                    {
                        "id": "channel",
                        "type": "single_choice",
                        "title": t("Where?"),
                        "choices": [
                            {"id": "web", "text": t("Web")},
                            {"id": "shop", "text": t("Shop")},
                        ],
                        "other": True,
                    },
                    {
                        "id": "likes",
                        "type": "multiple_choice",
                        "title": t("Likes"),
                        "choices": [
                            {"id": "tea", "text": t("Tea")},
                            {"id": "cups", "text": t("Cups")},
                        ],
                    },
                    {
                        "id": "order",
                        "type": "ranking",
                        "title": t("Rank"),
                        "choices": [
                            {"id": "price", "text": t("Price")},
                            {"id": "speed", "text": t("Speed")},
                        ],
                    },
                    {
                        "id": "grid",
                        "type": "matrix",
                        "title": t("Rate each"),
                        "rows": [
                            {"id": "staff", "text": t("Staff")},
                            {"id": "store", "text": t("Store")},
                        ],
                        "choices": [
                            {"id": "bad", "text": t("Bad")},
                            {"id": "good", "text": t("Good")},
                        ],
                    },
                    {"id": "again", "type": "boolean", "title": t("Again?")},
                    {"id": "comment", "type": "text", "title": t("Anything else?")},
                ],
            },
        ]
    }


def make_survey(
    workspace: Workspace,
    *,
    key: str = "pulse",
    timezone: str = "Asia/Tokyo",
    definition: dict[str, Any] | None = None,
) -> Survey:
    return Survey.objects.create(
        workspace=workspace,
        key=key,
        name="Pulse",
        languages=["en"],
        default_language="en",
        timezone=timezone,
        status="active",
        definition=definition or results_definition(),
    )


def make_customer(workspace: Workspace, external_id: str, **fields: Any) -> Customer:
    return Customer.objects.create(workspace=workspace, external_id=external_id, **fields)


def answer_rows(element_type: str, value: Any) -> list[dict[str, Any]]:
    """The projection's rows of one answer (models/responses.py, docs/surveys.md)."""
    match element_type:
        case "nps" | "csat" | "ces" | "rating":
            return [{"kind": element_type, "number": Decimal(value)}]
        case "single_choice" | "dropdown":
            return [{"kind": "choice", "choice": value}]
        case "multiple_choice":
            return [{"kind": "choice", "choice": c} for c in value]
        case "ranking":
            return [
                {"kind": "ranking", "choice": c, "number": Decimal(i)}
                for i, c in enumerate(value, 1)
            ]
        case "matrix":
            return [{"kind": "matrix", "row": r, "choice": c} for r, c in value.items()]
        case "boolean" | "consent":
            return [{"kind": "boolean", "number": Decimal(int(value))}]
    return [{"kind": "text", "text": str(value)}]


@dataclass
class Batch:
    """Responses to write at once: `add` many, then `save` (two bulk inserts)."""

    survey: Survey
    responses: list[Response] = field(default_factory=list)
    answers: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)

    def add(
        self,
        answers: Mapping[str, Any],
        at: datetime,
        *,
        status: str = ResponseStatus.COMPLETED,
        customer: Customer | None = None,
        started_at: datetime | None = None,
    ) -> "Batch":
        n = len(self.responses)
        completed = status == ResponseStatus.COMPLETED
        self.responses.append(
            Response(
                workspace_id=self.survey.workspace_id,
                key=f"{self.survey.key}-r{n}",
                survey=self.survey,
                version=self.survey.version,
                submission_id=f"sub-{n}",
                customer=customer,
                status=status,
                language="en",
                answers=dict(answers),
                started_at=started_at or at - timedelta(minutes=2),
                updated_at=at,
                completed_at=at if completed else None,
            )
        )
        self.answers.append((n, answers))
        return self

    def save(self, *, rollup: bool = True) -> list[Response]:
        types = element_types(self.survey.definition)
        saved = Response.objects.bulk_create(self.responses)
        rows = []
        for index, answers in self.answers:
            response = saved[index]
            for element_id, value in answers.items():
                for row in answer_rows(types.get(element_id, "text"), value):
                    rows.append(
                        Answer(
                            workspace_id=response.workspace_id,
                            response=response,
                            survey=self.survey,
                            customer=response.customer,
                            element_id=element_id,
                            finished=response.status == ResponseStatus.COMPLETED,
                            answered_at=response.updated_at,
                            **row,
                        )
                    )
        Answer.objects.bulk_create(rows)
        if rollup:  # as the responses service does in its transaction
            by_response: dict[int, list[Answer]] = {}
            for answer in rows:
                by_response.setdefault(answer.response_id, []).append(answer)
            for response in saved:
                response.survey = self.survey
                apply_answers(response, [], by_response.get(response.pk, []))
        return saved


def add_displays(
    survey: Survey, moments: Iterable[datetime], customer: Customer | None = None
) -> None:
    Display.objects.bulk_create(
        Display(
            workspace_id=survey.workspace_id,
            key=f"{survey.key}-d{i}-{moment.timestamp()}",
            survey=survey,
            version=survey.version,
            customer=customer,
            channel="web",
            created_at=moment,
        )
        for i, moment in enumerate(moments)
    )
