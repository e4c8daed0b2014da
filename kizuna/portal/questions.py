"""One question of a hosted page: what the template shows for an element (its texts from
the evaluation, its choices, the answer so far, its errors), and the answer read back from
the form a browser posts. The form works without JavaScript: a ranking is a rank chosen per
choice, a matrix a table of radio buttons."""

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from kizuna.feedback.logic import Evaluation

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
TEXT_INPUTS = {"email": "email", "url": "url", "number": "text"}
OTHER = "other"


@dataclass
class Option:
    value: str
    label: str
    checked: bool = False
    rank: int | None = None


@dataclass
class Row:
    index: int
    label: str
    options: list[Option]


@dataclass
class Question:
    id: str
    type: str
    title: str
    description: str | None
    required: bool
    disabled: bool
    kind: str  # the template's name for how it is drawn
    options: list[Option] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    value: Any = None
    other_offered: bool = False
    other_text: str = ""
    other_label: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    input_type: str = "text"
    multiline: bool = False
    stars: bool = False
    errors: list[str] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)


def _kind(element: dict[str, Any]) -> str:
    kind = str(element["type"])
    if kind in SCALES or kind == "rating":
        return "scale"
    if kind in ("single_choice", "boolean"):
        return "radios"
    return kind


def _scale(element: dict[str, Any]) -> tuple[int, int]:
    if element["type"] == "rating":
        return 1, int(element.get("points", 5))
    return SCALES[element["type"]]


def question(
    element: dict[str, Any],
    evaluation: Evaluation,
    answers: dict[str, Any],
    *,
    show_errors: bool = False,
) -> Question:
    element_id = str(element["id"])
    texts = evaluation.texts[element_id]
    value = answers.get(element_id)
    q = Question(
        id=element_id,
        type=str(element["type"]),
        title=texts.title,
        description=texts.description,
        required=element_id in evaluation.required_elements,
        disabled=element_id in evaluation.disabled_elements,
        kind=_kind(element),
        value=value,
        labels=dict(texts.extra),
        errors=list(evaluation.messages.get(element_id, [])) if show_errors else [],
    )
    choices = texts.choices or {}
    visible = evaluation.visible_choices.get(element_id, list(choices))
    if q.type in SCALES or q.type == "rating":
        low, high = _scale(element)
        q.stars = element.get("display") == "stars"
        q.options = [Option(str(n), str(n), value == n) for n in range(low, high + 1)]
    elif q.type == "boolean":
        q.options = [
            Option("true", q.labels.get("true_text", ""), value is True),
            Option("false", q.labels.get("false_text", ""), value is False),
        ]
    elif q.type in ("single_choice", "dropdown"):
        q.options = [Option(c, choices.get(c, c), value == c) for c in visible]
    elif q.type == "multiple_choice":
        chosen = set(value) if isinstance(value, list) else set()
        q.options = [Option(c, choices.get(c, c), c in chosen) for c in visible]
    elif q.type == "ranking":
        order = value if isinstance(value, list) else []
        q.options = [
            Option(c, choices.get(c, c), rank=order.index(c) + 1 if c in order else None)
            for c in visible
        ]
        q.ranks = list(range(1, len(visible) + 1))
    elif q.type == "matrix":
        rows = texts.rows or {}
        grid = value if isinstance(value, dict) else {}
        q.options = [Option(c, choices.get(c, c)) for c in visible]
        q.rows = [
            Row(
                i,
                rows.get(r, r),
                [
                    Option(c, o.label, grid.get(r) == c)
                    for c, o in zip(visible, q.options, strict=True)
                ],
            )
            for i, r in enumerate(evaluation.visible_rows.get(element_id, list(rows)))
        ]
    elif q.type == "text":
        validation = element.get("validation") or {}
        q.input_type = TEXT_INPUTS.get(str(validation.get("format", "")), "text")
        q.multiline = bool(element.get("multiline"))
    q.other_offered = OTHER in visible and q.type in (
        "single_choice",
        "multiple_choice",
        "dropdown",
    )
    if q.other_offered:
        q.other_text = str(answers.get(f"{element_id}#other", ""))
        q.other_label = q.labels.get("other_text", choices.get(OTHER, OTHER))
    return q


def _int(raw: str | None) -> int | str | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        return raw  # the evaluator reports what does not fit


def _row_ids(element: dict[str, Any], evaluation: Evaluation) -> list[str]:
    rows = evaluation.texts[str(element["id"])].rows or {}
    return evaluation.visible_rows.get(str(element["id"]), list(rows))


def read_answer(element: dict[str, Any], evaluation: Evaluation, form: QueryDict) -> dict[str, Any]:
    """The answers this element's form gives: `{element_id: value}` (None: no answer), and
    `{element_id}#other` when the other choice is offered."""
    element_id = str(element["id"])
    kind = str(element["type"])
    value: Any = None
    if kind in SCALES or kind == "rating":
        value = _int(form.get("value"))
    elif kind in ("single_choice", "dropdown"):
        value = form.get("value") or None
    elif kind == "multiple_choice":
        value = form.getlist("value") or None
    elif kind == "ranking":
        ranked = []
        visible = evaluation.visible_choices.get(element_id, [])
        for index, choice in enumerate(visible):
            rank = _int(form.get(f"rank-{index}"))
            if isinstance(rank, int):
                ranked.append((rank, index, choice))
        value = [choice for _, _, choice in sorted(ranked)] or None
    elif kind == "matrix":
        grid = {}
        for index, row in enumerate(_row_ids(element, evaluation)):
            column = form.get(f"row-{index}")
            if column:
                grid[row] = column
        value = grid or None
    elif kind in ("text", "date"):
        text = form.get("value", "")
        value = text if text.strip() else None
    elif kind == "boolean":
        value = {"true": True, "false": False}.get(form.get("value", ""))
    elif kind == "consent":
        value = True if form.get("value") == "true" else None
    answers: dict[str, Any] = {element_id: value}
    if "other" in evaluation.visible_choices.get(element_id, []):
        other = form.get("other", "").strip()
        answers[f"{element_id}#other"] = other or None
    return answers
