"""The walk through a definition: which pages are on the path, which elements and choices are
shown, which answers count.

A walk goes through the pages in order, as a respondent does:
1. a page whose `visible_if` fails is off the path;
2. on a page, each element in order: its `visible_if`; if visible, its `enable_if`,
   `required` / `required_if`, and its choices' and rows' `visible_if`; a page that shows no
   element is off the path;
3. after a page on the path, its first jump whose `if` holds (or that has none) goes to a
   later page (the pages between are off the path) or ends at an ending; without one, the
   next page follows; after the last page, the first ending (none: the built-in thank-you).

An answer counts while its element is shown (on the path, visible, enabled) and names only
shown choices and rows. It is put in or taken out of the facts the conditions read **as its
element is reached**, so a condition reads the answers of the elements before it as they now
stand (hiding a question hides in the same walk what was shown because of its answer). A
condition that reads a later element reads it as the previous walk left it: walks repeat
until the answers that count no longer change (at most `MAX_WALKS`). Variables are computed
again whenever the answers that count change."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kizuna.core import conditions as c
from kizuna.feedback.definitions.elements import OTHER_ID
from kizuna.feedback.definitions.fields import ANSWERS, HIDDEN, VARIABLES
from kizuna.feedback.logic.answers import hidden_choice_problems
from kizuna.feedback.logic.expressions import compute, number
from kizuna.feedback.logic.plan import Element, Page, Plan

MAX_WALKS = 20


@dataclass
class Walk:
    """What one walk found."""

    context: c.Context
    variables: dict[str, Decimal | None]
    pages: list[str] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)  # visible, on the path, in order
    visible: set[str] = field(default_factory=set)
    disabled: set[str] = field(default_factory=set)
    required: set[str] = field(default_factory=set)
    choices: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)
    end: str | None = None
    counted: set[str] = field(default_factory=set)  # the answers that count, by element id


def _typed(element: Element, value: Any) -> Any:
    """An answer as the condition fields read it: a text in the number format as a number."""
    if element.info.text_format == "number":
        return number(value)
    return value


class _Walker:
    def __init__(
        self,
        plan: Plan,
        candidates: Mapping[str, Any],
        start: set[str],
        hidden: Mapping[str, str],
        base: c.Context,
    ) -> None:
        self.plan = plan
        self.candidates = candidates
        self.hidden = hidden
        self.answers: dict[str, Any] = {
            key: _typed(plan.elements[key], candidates[key]) for key in start
        }
        self.variables: dict[str, Decimal | None] = {}
        self.stale = True
        context = base.with_facts(
            answers=self.answers, hidden=dict(hidden), variables=self.variables
        )
        self.walk = Walk(context=context, variables=self.variables)

    def read(self, name: str) -> Decimal | None:
        if name.startswith(ANSWERS):
            return number(self.answers.get(name[len(ANSWERS) :]))
        if name.startswith(HIDDEN):
            return number(self.hidden.get(name[len(HIDDEN) :]))
        if name.startswith(VARIABLES):
            return self.variables.get(name[len(VARIABLES) :])
        return None

    def refresh(self) -> None:
        """The variables, computed again if the answers that count have changed."""
        if self.stale:
            for variable in self.plan.variables:
                self.variables[variable.id] = compute(variable.expression, self.read)
            self.stale = False

    def holds(self, condition: c.Condition | None, default: bool = True) -> bool:
        if condition is None:
            return default
        self.refresh()
        return c.evaluate(condition, self.walk.context)

    def count(self, element: Element, counts: bool) -> None:
        """Put the element's answer in the facts, or take it out."""
        key = element.id
        if counts and key in self.candidates:
            if key not in self.answers:
                self.answers[key] = _typed(element, self.candidates[key])
                self.stale = True
        elif key in self.answers:
            del self.answers[key]
            self.stale = True

    def leave(self, page: Page) -> None:
        for element in page.elements:
            self.count(element, False)

    def visit(self, page: Page) -> bool:
        """Walk one page; whether it is on the path."""
        if not self.holds(page.visible_if):
            self.leave(page)
            return False
        walk = self.walk
        shown = []
        for element in page.elements:
            if not self.holds(element.visible_if):
                self.count(element, False)
                continue
            shown.append(element)
            enabled = self.holds(element.enable_if)
            if not enabled:
                walk.disabled.add(element.id)
            if element.type != "statement" and (
                element.required or self.holds(element.required_if, False)
            ):
                walk.required.add(element.id)
            if element.choices:
                visible = [choice.id for choice in element.choices if self.holds(choice.visible_if)]
                if element.other and element.type != "matrix":
                    visible.append(OTHER_ID)
                walk.choices[element.id] = visible
            if element.rows:
                walk.rows[element.id] = [
                    row.id for row in element.rows if self.holds(row.visible_if)
                ]
            counts = enabled and (
                element.id not in self.candidates
                or not hidden_choice_problems(
                    element,
                    self.candidates[element.id],
                    set(walk.choices.get(element.id, ())),
                    set(walk.rows.get(element.id, ())),
                )
            )
            self.count(element, counts)
        if not shown:
            return False
        walk.pages.append(page.id)
        walk.elements.extend(shown)
        walk.visible.update(element.id for element in shown)
        return True

    def run(self) -> Walk:
        plan, walk = self.plan, self.walk
        index = 0
        while index < len(plan.pages):
            page = plan.pages[index]
            index += 1
            if not self.visit(page):
                continue
            for jump in page.jumps:
                if not self.holds(jump.condition):
                    continue
                if jump.goto in plan.endings:
                    walk.end = jump.goto
                    for later in plan.pages[index:]:
                        self.leave(later)
                    return self.done()
                target = plan.page_index(jump.goto)
                if target is not None and target >= index:
                    for skipped in plan.pages[index:target]:
                        self.leave(skipped)
                    index = target
                break
        walk.end = next(iter(plan.endings), None)
        return self.done()

    def done(self) -> Walk:
        self.refresh()
        self.walk.counted = set(self.answers)
        return self.walk


def settle(
    plan: Plan, candidates: Mapping[str, Any], hidden: Mapping[str, str], base: c.Context
) -> Walk:
    """Walks until the answers that count no longer change; the last walk."""
    start = set(candidates)
    walk = _Walker(plan, candidates, start, hidden, base).run()
    for _ in range(MAX_WALKS - 1):
        if walk.counted == start:
            break
        start = walk.counted
        walk = _Walker(plan, candidates, start, hidden, base).run()
    return walk
