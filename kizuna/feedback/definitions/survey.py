"""The whole definition: pages of elements, welcome, endings, hidden fields, variables,
quotas, and the logic that ties them (conditions and page jumps).

Checked in two passes: the shape of every part first, collecting the ids; then what refers
to ids (conditions, jumps, expressions, quota endings), against what the first pass found."""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from kizuna.core import conditions as c
from kizuna.core.models import Workspace
from kizuna.feedback.definitions import expressions
from kizuna.feedback.definitions.common import (
    boolean,
    check_id,
    check_name,
    check_url,
    choice,
    collected_texts,
    fail,
    integer,
    items,
    localized,
    obj,
    unique,
)
from kizuna.feedback.definitions.elements import ElementInfo, check_element
from kizuna.feedback.definitions.fields import ANSWERS, HIDDEN, VARIABLES, registry_for
from kizuna.feedback.definitions.recall import check_recalls

ROOT = "definition"
MAX_PAGES = 100
MAX_ELEMENTS_PER_PAGE = 200
MAX_ELEMENTS = 1000
MAX_ENDINGS = 20
MAX_HIDDEN = 50
MAX_VARIABLES = 50
MAX_QUOTAS = 20
MAX_JUMPS = 50
QUOTA_LIMIT = 10**9
# Survey logic may read the response (answers, hidden fields, variables) and the customer.
LOGIC_SUBJECTS = frozenset({"response", "customer"})


@dataclass
class Checked:
    """What a valid definition holds, by id."""

    elements: dict[str, ElementInfo] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    endings: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    # (path, condition JSON) in document order; (path, goto, page index) of every jump.
    conditions: list[tuple[str, Any]] = field(default_factory=list)
    jumps: list[tuple[str, Any, int]] = field(default_factory=list)
    quota_endings: list[tuple[str, Any]] = field(default_factory=list)


def check_definition(data: Any, languages: Collection[str], workspace: Workspace) -> Checked:
    """Check a definition strictly; 422 naming the JSON path of the first fault."""
    texts: list[tuple[str, str]] = []
    token = collected_texts.set(texts)
    try:
        checked, variables = _shapes(data, languages)
    finally:
        collected_texts.reset(token)
    _logic(checked, workspace, texts)
    _expressions(variables, checked)
    return checked


def _shapes(data: Any, languages: Collection[str]) -> tuple[Checked, list[Any]]:
    """The first pass: the shape of every part, and the ids."""
    definition = obj(
        data,
        ROOT,
        required=("pages",),
        optional=("welcome", "endings", "hidden_fields", "variables", "quotas"),
    )
    checked = Checked()
    if definition.get("welcome") is not None:
        _welcome(definition["welcome"], f"{ROOT}.welcome", languages)
    seen_names: dict[str, str] = {}
    hidden = items(definition.get("hidden_fields", []), f"{ROOT}.hidden_fields", high=MAX_HIDDEN)
    for i, name in enumerate(hidden):
        at = f"{ROOT}.hidden_fields[{i}]"
        unique(seen_names, check_name(name, at), at, "hidden field")
    checked.hidden = list(seen_names)
    _pages(definition["pages"], languages, checked)
    _endings(definition.get("endings", []), languages, checked)
    variables = _variable_ids(definition.get("variables", []), checked)
    _quotas(definition.get("quotas", []), checked)
    return checked, variables


def _welcome(value: Any, path: str, languages: Collection[str]) -> None:
    welcome = obj(value, path, required=("title",), optional=("text", "button_text", "enabled"))
    localized(welcome["title"], f"{path}.title", languages)
    if "text" in welcome:
        localized(welcome["text"], f"{path}.text", languages)
    if "button_text" in welcome:
        localized(welcome["button_text"], f"{path}.button_text", languages, 200)
    if "enabled" in welcome:
        boolean(welcome["enabled"], f"{path}.enabled")


def _pages(value: Any, languages: Collection[str], checked: Checked) -> None:
    seen_pages: dict[str, str] = {}
    seen_elements: dict[str, str] = {}
    for p, page in enumerate(items(value, f"{ROOT}.pages", low=1, high=MAX_PAGES)):
        at = f"{ROOT}.pages[{p}]"
        obj(
            page,
            at,
            required=("id", "elements"),
            optional=("title", "description", "visible_if", "next"),
        )
        unique(seen_pages, check_id(page["id"], f"{at}.id"), f"{at}.id", "page")
        for key in ("title", "description"):
            if key in page:
                localized(page[key], f"{at}.{key}", languages)
        if "visible_if" in page:
            checked.conditions.append((f"{at}.visible_if", page["visible_if"]))
        elements = items(page["elements"], f"{at}.elements", low=1, high=MAX_ELEMENTS_PER_PAGE)
        for e, element in enumerate(elements):
            element_at = f"{at}.elements[{e}]"
            info = check_element(element, element_at, languages)
            unique(seen_elements, info.id, f"{element_at}.id", "element")
            if len(seen_elements) > MAX_ELEMENTS:
                fail(element_at, f"A survey has at most {MAX_ELEMENTS} elements.")
            checked.elements[info.id] = info
            checked.conditions.extend(info.conditions.items())
        for j, jump in enumerate(items(page.get("next", []), f"{at}.next", high=MAX_JUMPS)):
            jump_at = f"{at}.next[{j}]"
            obj(jump, jump_at, required=("goto",), optional=("if",))
            if "if" in jump:
                checked.conditions.append((f"{jump_at}.if", jump["if"]))
            checked.jumps.append((f"{jump_at}.goto", jump["goto"], p))
    checked.pages = list(seen_pages)


def _endings(value: Any, languages: Collection[str], checked: Checked) -> None:
    seen = {page: f"{ROOT}.pages[{i}].id" for i, page in enumerate(checked.pages)}
    for i, ending in enumerate(items(value, f"{ROOT}.endings", high=MAX_ENDINGS)):
        at = f"{ROOT}.endings[{i}]"
        obj(ending, at, required=("id", "title"), optional=("text", "redirect_url"))
        ending_id = check_id(ending["id"], f"{at}.id")
        unique(seen, ending_id, f"{at}.id", "page or ending")
        checked.endings.append(ending_id)
        localized(ending["title"], f"{at}.title", languages)
        if "text" in ending:
            localized(ending["text"], f"{at}.text", languages)
        if "redirect_url" in ending:
            check_url(ending["redirect_url"], f"{at}.redirect_url")


def _quotas(value: Any, checked: Checked) -> None:
    seen: dict[str, str] = {}
    for i, quota in enumerate(items(value, f"{ROOT}.quotas", high=MAX_QUOTAS)):
        at = f"{ROOT}.quotas[{i}]"
        obj(quota, at, required=("id", "condition", "limit", "action"), optional=("ending",))
        unique(seen, check_id(quota["id"], f"{at}.id"), f"{at}.id", "quota")
        integer(quota["limit"], f"{at}.limit", 1, QUOTA_LIMIT)
        choice(quota["action"], f"{at}.action", ("end", "screen_out"))
        checked.conditions.append((f"{at}.condition", quota["condition"]))
        if "ending" in quota:
            checked.quota_endings.append((f"{at}.ending", quota["ending"]))


def _logic(checked: Checked, workspace: Workspace, texts: list[tuple[str, str]]) -> None:
    registry = registry_for(checked.elements, set(checked.hidden), set(checked.variables))
    for path, condition in checked.conditions:
        c.parse(
            condition,
            workspace=workspace,
            subjects=LOGIC_SUBJECTS,
            root=path,
            usage="survey logic",
            registry=registry,
        )
    for path, goto, page_index in checked.jumps:
        if goto in checked.endings:
            continue
        if not isinstance(goto, str) or goto not in checked.pages:
            fail(path, "goto names a page or an ending of this survey.", "unknown_reference")
        if checked.pages.index(goto) <= page_index:
            fail(path, "A jump goes forward: to a later page, or to an ending.", "invalid_jump")
    for path, ending in checked.quota_endings:
        if not isinstance(ending, str) or ending not in checked.endings:
            fail(path, "ending names an ending of this survey.", "unknown_reference")
    check_recalls(texts, registry, workspace)


def _variable_ids(value: Any, checked: Checked) -> list[Any]:
    seen: dict[str, str] = {}
    variables = items(value, f"{ROOT}.variables", high=MAX_VARIABLES)
    for i, variable in enumerate(variables):
        at = f"{ROOT}.variables[{i}]"
        obj(variable, at, required=("id", "expression"))
        unique(seen, check_name(variable["id"], f"{at}.id"), f"{at}.id", "variable")
    checked.variables = list(seen)
    return variables


def _expressions(variables: list[Any], checked: Checked) -> None:
    """Each variable's expression, reading numbers only, and variables declared before it."""
    for i, variable in enumerate(variables):
        earlier = set(checked.variables[:i])

        def check_reference(name: str, path: str, earlier: set[str] = earlier) -> None:
            if name.startswith(ANSWERS):
                element = checked.elements.get(name[len(ANSWERS) :])
                if element is None:
                    fail(path, f"{name}: no element with this id.", "invalid_expression")
                if not element.numeric:
                    fail(
                        path,
                        f"{name} is a {element.type} answer; expressions compute with numbers "
                        "(nps, csat, ces, rating, text in the number format).",
                        "invalid_expression",
                    )
            elif name.startswith(HIDDEN):
                if name[len(HIDDEN) :] not in checked.hidden:
                    fail(path, f"{name}: no such hidden field.", "invalid_expression")
            elif name.startswith(VARIABLES):
                if name[len(VARIABLES) :] not in earlier:
                    fail(
                        path,
                        f"{name}: a variable may use only the variables declared before it.",
                        "invalid_expression",
                    )
            else:
                fail(
                    path,
                    f"{{{name}}}: references are answers.<element_id>, hidden.<name> or "
                    "variables.<id>.",
                    "invalid_expression",
                )

        at = f"{ROOT}.variables[{i}].expression"
        expressions.parse_expression(variable["expression"], at, check_reference)
