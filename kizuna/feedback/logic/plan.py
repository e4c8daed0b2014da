"""A stored definition made ready to evaluate: its conditions parsed (with the survey's own
fields bound: answers, hidden fields, variables), its expressions parsed, its parts by id.

A stored definition was checked when it was saved (docs/surveys.md), so this trusts its
shape. Conditions naming `customer.attributes.*` read the workspace's attribute types once
per plan (one query), not once per condition."""

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from kizuna.core import conditions as c
from kizuna.core.models import Workspace
from kizuna.feedback.definitions.elements import OTHER_ID, ElementInfo
from kizuna.feedback.definitions.expressions import Node, parse_expression
from kizuna.feedback.definitions.fields import registry_for

LOGIC_SUBJECTS = frozenset({"response", "customer"})
NEVER = c.parse({"any": []})
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    id: str
    text: Any
    visible_if: c.Condition | None = None


@dataclass(frozen=True)
class Element:
    id: str
    type: str
    source: dict[str, Any]
    info: ElementInfo
    visible_if: c.Condition | None
    required_if: c.Condition | None
    enable_if: c.Condition | None
    choices: tuple[Choice, ...] = ()  # the columns of a matrix; never the "other" answer
    rows: tuple[Choice, ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.source.get("required", False))

    @property
    def other(self) -> bool:
        return bool(self.source.get("other", False))

    @property
    def validation(self) -> dict[str, Any]:
        rules = self.source.get("validation")
        return rules if isinstance(rules, dict) else {}


@dataclass(frozen=True)
class Jump:
    condition: c.Condition | None
    goto: str


@dataclass(frozen=True)
class Page:
    id: str
    source: dict[str, Any]
    visible_if: c.Condition | None
    elements: tuple[Element, ...]
    jumps: tuple[Jump, ...]


@dataclass(frozen=True)
class Variable:
    id: str
    expression: Node


@dataclass(frozen=True)
class Quota:
    id: str
    condition: c.Condition
    limit: int
    action: str
    ending: str | None


@dataclass
class Plan:
    source: dict[str, Any]
    pages: tuple[Page, ...]
    elements: dict[str, Element]
    endings: dict[str, dict[str, Any]]
    hidden: tuple[str, ...]
    variables: tuple[Variable, ...]
    quotas: tuple[Quota, ...]
    registry: c.Registry
    workspace: Workspace | None
    _recalled: dict[str, c.Leaf | None] = field(default_factory=dict)

    def page_index(self, page_id: str) -> int | None:
        for index, page in enumerate(self.pages):
            if page.id == page_id:
                return index
        return None

    def recall_leaf(self, name: str) -> c.Leaf | None:
        """The parsed field a recall names (`customer.first_name`), read the way a condition
        reads it; None when it names nothing (a field dropped since the text was saved)."""
        if name not in self._recalled:
            try:
                condition = c.parse(
                    {"field": name, "op": "exists"},
                    workspace=self.workspace,
                    subjects=LOGIC_SUBJECTS,
                    root="recall",
                    registry=self.registry,
                )
                self._recalled[name] = condition.leaves[0]
            except c.InvalidCondition:
                self._recalled[name] = None
        return self._recalled[name]


def _info(source: dict[str, Any]) -> ElementInfo:
    kind = str(source.get("type", ""))
    choices = [str(choice["id"]) for choice in source.get("choices", []) if "id" in choice]
    if source.get("other") and kind != "matrix":
        choices.append(OTHER_ID)
    rows = [str(row["id"]) for row in source.get("rows", []) if "id" in row]
    rules = source.get("validation")
    text_format = rules.get("format") if kind == "text" and isinstance(rules, dict) else None
    return ElementInfo(
        id=str(source["id"]),
        type=kind,
        path="",
        choices=tuple(choices),
        rows=tuple(rows),
        text_format=text_format,
    )


def _shared(registry: c.Registry, workspace: Workspace | None) -> c.Registry:
    """The registry with one resolution shared by every condition of the plan, so that the
    workspace's attribute types are read once."""
    resolution = c.Resolution(workspace)

    def bound(family: c.FieldFamily) -> c.FieldFamily:
        def resolve(parameter: str, _: c.Resolution) -> c.FieldSpec | None:
            return family.resolve(parameter, resolution)

        return dataclasses.replace(family, resolve=resolve)

    return c.Registry(
        fields=registry.fields,
        families={prefix: bound(family) for prefix, family in registry.families.items()},
    )


def build_plan(definition: dict[str, Any], workspace: Workspace | None) -> Plan:
    page_sources = [p for p in definition.get("pages", []) if isinstance(p, dict)]
    infos = {
        info.id: info
        for info in (
            _info(element)
            for page in page_sources
            for element in page.get("elements", [])
            if isinstance(element, dict) and "id" in element
        )
    }
    hidden = tuple(str(name) for name in definition.get("hidden_fields", []))
    variable_sources = [v for v in definition.get("variables", []) if isinstance(v, dict)]
    registry = _shared(
        registry_for(infos, set(hidden), {str(v["id"]) for v in variable_sources}), workspace
    )

    def condition(data: Any, path: str) -> c.Condition | None:
        if data is None:
            return None
        try:
            return c.parse(
                data,
                workspace=workspace,
                subjects=LOGIC_SUBJECTS,
                root=path,
                usage="survey logic",
                registry=registry,
            )
        except c.InvalidCondition as exc:
            # Checked when saved, so only a field gone since (a program deleted, say) gets
            # here: the condition never holds, rather than the survey failing to show.
            logger.warning("Survey condition no longer valid at %s: %s", path, exc.message)
            return NEVER

    def choices(items: Any, path: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(
                str(item["id"]),
                item.get("text"),
                condition(item.get("visible_if"), f"{path}[{i}].visible_if"),
            )
            for i, item in enumerate(items or [])
        )

    pages: list[Page] = []
    elements: dict[str, Element] = {}
    for p, page in enumerate(page_sources):
        at = f"definition.pages[{p}]"
        page_elements: list[Element] = []
        for e, source in enumerate(page.get("elements", [])):
            element_at = f"{at}.elements[{e}]"
            element = Element(
                id=str(source["id"]),
                type=str(source["type"]),
                source=source,
                info=infos[str(source["id"])],
                visible_if=condition(source.get("visible_if"), f"{element_at}.visible_if"),
                required_if=condition(source.get("required_if"), f"{element_at}.required_if"),
                enable_if=condition(source.get("enable_if"), f"{element_at}.enable_if"),
                choices=choices(source.get("choices"), f"{element_at}.choices"),
                rows=choices(source.get("rows"), f"{element_at}.rows"),
            )
            page_elements.append(element)
            elements[element.id] = element
        jumps = tuple(
            Jump(condition(jump.get("if"), f"{at}.next[{j}].if"), str(jump["goto"]))
            for j, jump in enumerate(page.get("next", []))
        )
        pages.append(
            Page(
                str(page["id"]),
                page,
                condition(page.get("visible_if"), f"{at}.visible_if"),
                tuple(page_elements),
                jumps,
            )
        )
    variables = tuple(
        Variable(
            str(v["id"]),
            parse_expression(
                v["expression"], f"definition.variables[{i}].expression", lambda n, p: None
            ),
        )
        for i, v in enumerate(variable_sources)
    )
    quotas = tuple(
        Quota(
            str(q["id"]),
            condition(q["condition"], f"definition.quotas[{i}].condition") or c.parse({"all": []}),
            int(q.get("limit", 0)),
            str(q.get("action", "end")),
            q.get("ending"),
        )
        for i, q in enumerate(definition.get("quotas", []))
    )
    endings = {str(e["id"]): e for e in definition.get("endings", []) if isinstance(e, dict)}
    return Plan(
        source=definition,
        pages=tuple(pages),
        elements=elements,
        endings=endings,
        hidden=hidden,
        variables=variables,
        quotas=quotas,
        registry=registry,
        workspace=workspace,
    )
