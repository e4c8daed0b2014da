"""The evaluator of native survey definitions: what a respondent sees, must answer and may
answer for a set of answers (docs/survey-logic.md is the reference; ADR 0025 the decisions).

Pure: it reads the definition, the answers, the hidden fields, the customer (through the
condition language's facts, loaded lazily) and the time, and writes nothing.

1. the language served (languages.py), the hidden fields, the customer's facts;
2. each answer checked alone (answers.py): the type, range, length, format, known choices;
3. the walk through the pages (walk.py): the path, the elements, choices and rows shown,
   the variables, and which answers count, repeated until that no longer changes;
4. errors (of the elements shown and enabled), quotas, the ending, then the texts with
   their recalls (texts.py), from the last walk."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kizuna.core import conditions as c
from kizuna.core.models import Workspace
from kizuna.feedback.logic import builtin_texts
from kizuna.feedback.logic.answers import (
    OTHER_SUFFIX,
    Problem,
    answered,
    chose_other,
    hidden_choice_problems,
    other_key,
    problems,
)
from kizuna.feedback.logic.evaluation import Evaluation
from kizuna.feedback.logic.expressions import to_json
from kizuna.feedback.logic.languages import negotiate
from kizuna.feedback.logic.plan import Element, Plan, build_plan
from kizuna.feedback.logic.texts import Renderer
from kizuna.feedback.logic.walk import Walk, settle

if TYPE_CHECKING:
    from kizuna.customers.models import Customer
    from kizuna.feedback.models import Survey


def evaluate(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    *,
    languages: Sequence[str] = (),
    default_language: str = "en",
    language: str | None = None,
    hidden: Mapping[str, Any] | None = None,
    customer: "Customer | None" = None,
    now: datetime | None = None,
    timezone: str | tzinfo = "UTC",
    workspace: Workspace | None = None,
    full_quotas: Collection[str] = (),
) -> Evaluation:
    """Evaluate a stored (valid) native definition for these answers.

    `language` is the language asked for; the served one is negotiated against `languages`
    (request, then the customer's locale, then `default_language`). `full_quotas` names the
    quotas the caller found full: a matching one ends the response (`ended_by_quota`).
    `workspace` resolves `customer.attributes.*` fields (by default, the customer's)."""
    if workspace is None and customer is not None:
        workspace = customer.workspace
    plan = build_plan(dict(definition), workspace)
    served = negotiate(
        (language, customer.locale if customer is not None else None),
        list(languages) or [default_language],
        default_language,
    )
    base = _context(customer, now, timezone)
    hidden_values = _hidden(plan, hidden or {}, customer)
    return _evaluate(plan, answers, served, default_language, hidden_values, base, set(full_quotas))


def evaluate_survey(
    survey: "Survey",
    answers: Mapping[str, Any],
    *,
    language: str | None = None,
    hidden: Mapping[str, Any] | None = None,
    customer: "Customer | None" = None,
    now: datetime | None = None,
    workspace: Workspace | None = None,
    full_quotas: Collection[str] = (),
) -> Evaluation:
    """`evaluate` for a survey's current definition (or the version set on it), in its
    languages and time zone."""
    return evaluate(
        survey.definition,
        answers,
        languages=survey.languages,
        default_language=survey.default_language,
        language=language,
        hidden=hidden,
        customer=customer,
        now=now,
        timezone=survey.timezone,
        workspace=workspace if workspace is not None else survey.workspace,
        full_quotas=full_quotas,
    )


def _context(customer: "Customer | None", now: datetime | None, timezone: str | tzinfo) -> Any:
    if isinstance(timezone, str):
        try:
            tz: tzinfo = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
    else:
        tz = timezone
    if customer is None:
        return c.Context(now=now, tz=tz)
    from kizuna.customers.conditions import customer_facts

    return c.Context(now=now, tz=tz, **customer_facts(customer))


def _hidden(plan: Plan, given: Mapping[str, Any], customer: "Customer | None") -> dict[str, str]:
    """The survey's hidden fields: as given, else the customer's attribute of that name."""
    attributes = customer.attributes if customer is not None else {}
    values: dict[str, str] = {}
    for name in plan.hidden:
        value = given.get(name)
        if value is None and isinstance(attributes, dict):
            value = attributes.get(name)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, str | int | float) and str(value) != "":
            values[name] = str(value)
    return values


def _evaluate(
    plan: Plan,
    answers: Mapping[str, Any],
    served: str,
    default_language: str,
    hidden: dict[str, str],
    base: c.Context,
    full_quotas: set[str],
) -> Evaluation:
    given: dict[str, Any] = {}
    other_texts: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in answers.items():
        if key in plan.elements:
            if answered(value):
                given[key] = value
        elif key.endswith(OTHER_SUFFIX) and _offers_other(plan, key[: -len(OTHER_SUFFIX)]):
            other_texts[key[: -len(OTHER_SUFFIX)]] = value
        else:
            unknown.append(key)
    static = {
        key: problems(plan.elements[key], value, other_texts.get(key))
        for key, value in given.items()
    }
    candidates = {key: value for key, value in given.items() if not static[key]}
    walk = settle(plan, candidates, hidden, base)
    kept = {key: value for key, value in candidates.items() if key in walk.counted}

    found: dict[str, list[Problem]] = {key: [Problem("unknown_element")] for key in unknown}
    for element in walk.elements:
        if element.id in walk.disabled:
            continue
        codes = static.get(element.id) or []
        if not codes and element.id in given:
            codes = hidden_choice_problems(
                element,
                given[element.id],
                set(walk.choices.get(element.id, ())),
                set(walk.rows.get(element.id, ())),
            )
        if not codes and element.id in walk.required and _incomplete(element, kept, walk):
            codes = [Problem("required")]
        if codes:
            found[element.id] = codes

    # A required consent answered false is an error too: data holds no answer with one.
    data = {key: value for key, value in kept.items() if key not in found}
    for key, value in kept.items():
        if key in data and chose_other(plan.elements[key], value):
            data[other_key(key)] = other_texts[key]
    ui_language = builtin_texts.ui_language(served)
    ui = builtin_texts.ui_texts(served)
    evaluation = Evaluation(
        language=served,
        visible_pages=list(walk.pages),
        visible_elements=[element.id for element in walk.elements],
        required_elements=[
            e.id for e in walk.elements if e.id in walk.required and e.id not in walk.disabled
        ],
        disabled_elements=[e.id for e in walk.elements if e.id in walk.disabled],
        visible_choices=dict(walk.choices),
        visible_rows=dict(walk.rows),
        data=data,
        variables={key: to_json(value) for key, value in walk.variables.items()},
        errors={key: [p.code for p in found_problems] for key, found_problems in found.items()},
        hidden=dict(hidden),
        ui_language=ui_language,
        ui=ui,
        messages={
            key: [builtin_texts.message(p.message_key or p.code, served, **p.params) for p in ps]
            for key, ps in found.items()
        },
        error_details={
            key: [
                {"code": p.code, "message_key": p.message_key or p.code, "params": p.params}
                for p in ps
            ]
            for key, ps in found.items()
        },
    )
    _finish(plan, evaluation, walk, full_quotas)
    renderer = Renderer(
        plan, served, default_language, data, hidden, walk.variables, ui, walk.context
    )
    for element in walk.elements:
        evaluation.texts[element.id] = renderer.element(
            element, walk.choices.get(element.id), walk.rows.get(element.id)
        )
    for page in plan.pages:
        if page.id in walk.pages:
            evaluation.pages[page.id] = renderer.page(page.source)
    for ending_id, ending in plan.endings.items():
        evaluation.endings[ending_id] = renderer.ending(ending)
    evaluation.welcome = renderer.welcome(plan.source.get("welcome"))
    return evaluation


def _offers_other(plan: Plan, element_id: str) -> bool:
    element = plan.elements.get(element_id)
    return element is not None and element.other


def _incomplete(element: Element, kept: Mapping[str, Any], walk: Walk) -> bool:
    """A required element's answer is missing (a consent not given, a shown matrix row
    without its column)."""
    if element.id not in kept:
        return True
    value = kept[element.id]
    if element.type == "consent":
        return value is not True
    if element.type == "matrix":
        return any(row not in value for row in walk.rows.get(element.id, ()))
    return False


def _finish(plan: Plan, evaluation: Evaluation, walk: Walk, full_quotas: set[str]) -> None:
    """Quotas, completeness, the ending and the page the respondent is on."""
    evaluation.quotas_matched = [
        quota.id for quota in plan.quotas if c.evaluate(quota.condition, walk.context)
    ]
    evaluation.complete = evaluation.valid
    evaluation.ending = walk.end if evaluation.complete else None
    for quota in plan.quotas:
        if quota.id in full_quotas and quota.id in evaluation.quotas_matched:
            evaluation.ended_by_quota = quota.id
            evaluation.ending = quota.ending
            evaluation.screened_out = quota.action == "screen_out"
            evaluation.complete = True
            break
    with_errors = set(evaluation.errors)
    evaluation.current_page = next(
        (
            page.id
            for page in plan.pages
            if page.id in walk.pages and any(e.id in with_errors for e in page.elements)
        ),
        None,
    )
