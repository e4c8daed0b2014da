"""Reading SurveyJS JSON as SurveyJS reads it: pages (a survey with `elements` or `questions`
at its root is one page), page names (`page1`, `page2`, ... where unnamed), choice items in
their three spellings (`"a"`, `"a|Text"`, `{value, text, ...}`), generated dropdown choices
(`choicesMin`..`choicesMax`), rating values, and localizable strings."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Element types whose elements live inside them.
CONTAINERS = ("panel",)
# Types with an answer made of choices.
CHOICE_TYPES = ("radiogroup", "checkbox", "dropdown", "tagbox", "ranking", "imagepicker")
BUILT_IN_CHOICES = (
    ("showNoneItem", "hasNone", "none", "noneText", "None"),
    ("showRefuseItem", None, "refused", "refuseText", "Refuse to answer"),
    ("showDontKnowItem", None, "dontknow", "dontKnowText", "Don't know"),
)


@dataclass(frozen=True)
class Choice:
    value: Any
    text: Any  # a localizable string, or None: the value shows
    data: dict[str, Any] = field(default_factory=dict)  # the item as written (custom properties)

    @property
    def id(self) -> str:
        return choice_id(self.value)


def choice_id(value: Any) -> str:
    """The Kizuna choice id of a SurveyJS value: its text, as JSON writes a number (1, 2.5,
    true)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pages(source: dict[str, Any]) -> list[dict[str, Any]]:
    """The pages as SurveyJS builds them; root `elements`/`questions` make a page of their own
    in front (SurveyJS adds them to a first page)."""
    result = [p for p in source.get("pages") or [] if isinstance(p, dict)]
    root = source.get("elements") or source.get("questions")
    if isinstance(root, list) and root:
        result = [{"elements": root}, *result]
    return result


def page_path(source: dict[str, Any], index: int) -> str:
    root = source.get("elements") or source.get("questions")
    if isinstance(root, list) and root:
        if index == 0:
            return "elements" if source.get("elements") else "questions"
        index -= 1
    return f"pages[{index}]"


def page_names(source: dict[str, Any]) -> list[str]:
    """A page without a name is `page<N>`, N its position from 1 (skipping taken names)."""
    found = pages(source)
    taken = {p.get("name") for p in found if isinstance(p.get("name"), str) and p.get("name")}
    names = []
    for i, page in enumerate(found):
        name = page.get("name")
        if not isinstance(name, str) or not name:
            n = i + 1
            while f"page{n}" in taken:
                n += 1
            name = f"page{n}"
            taken.add(name)
        names.append(name)
    return names


def children(element: dict[str, Any]) -> list[Any]:
    items = element.get("elements") or element.get("questions") or []
    return items if isinstance(items, list) else []


def walk(
    elements: list[Any], path: str, key: str = "elements"
) -> Iterator[tuple[dict[str, Any], str]]:
    """Every element under a page or static panel, depth first, with its JSON path (static
    panels included, their elements after them; dynamic panels' templates not entered)."""
    for i, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        at = f"{path}.{key}[{i}]"
        yield element, at
        if element.get("type") in CONTAINERS:
            inner_key = "elements" if "elements" in element else "questions"
            yield from walk(children(element), at, inner_key)


def localized(value: Any, language: str, default_language: str = "en") -> str | None:
    """A localizable string in a language: its own text, else the default."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in (language, "default", default_language):
            text = value.get(key)
            if isinstance(text, str) and text:
                return text
        for text in value.values():
            if isinstance(text, str) and text:
                return text
    return None


def parse_choice(item: Any) -> Choice | None:
    if isinstance(item, dict):
        if "value" not in item:
            return None
        return Choice(item["value"], item.get("text"), item)
    if isinstance(item, str) and "|" in item:
        value, text = item.split("|", 1)
        return Choice(value, text, {"value": value, "text": text})
    if isinstance(item, str | int | float | bool):
        return Choice(item, None, {"value": item})
    return None


def choices(element: dict[str, Any], key: str = "choices") -> list[Choice]:
    """The element's own choices, then those generated from choicesMin..choicesMax."""
    found = [c for c in map(parse_choice, element.get(key) or []) if c is not None]
    low: Any = element.get("choicesMin")
    high: Any = element.get("choicesMax")
    if key == "choices" and _is_int(low) and _is_int(high) and high - low <= 1000:
        step: Any = element.get("choicesStep") or 1
        if _is_int(step) and step > 0:
            found += [Choice(v, None, {"value": v}) for v in range(low, high + 1, step)]
    return found


def built_in_choices(element: dict[str, Any]) -> list[Choice]:
    """none / refused / dontknow, where shown."""
    found = []
    for flag, old_flag, value, text_key, text in BUILT_IN_CHOICES:
        if element.get(flag) or (old_flag and element.get(old_flag)):
            found.append(Choice(value, element.get(text_key) or text, {"value": value}))
    return found


def has_other(element: dict[str, Any]) -> bool:
    return bool(element.get("showOtherItem") or element.get("hasOther"))


def rating_values(element: dict[str, Any]) -> list[Choice]:
    """The values a rating offers: rateValues, else rateMin..rateMax by rateStep (1..5), or
    rateCount values from rateMin."""
    given = [c for c in map(parse_choice, element.get("rateValues") or []) if c is not None]
    if given:
        return given
    low: Any = element.get("rateMin", 1)
    step: Any = element.get("rateStep", 1)
    if not _is_number(low) or not _is_number(step) or step <= 0:
        return []
    high: Any = element.get("rateMax")
    count: Any = element.get("rateCount")
    if not _is_number(high):
        high = low + step * (count - 1) if _is_int(count) and count > 0 else 5
    values: list[Choice] = []
    value = low
    while value <= high + 1e-9 and len(values) < 100:
        values.append(Choice(_tidy(value), None, {"value": _tidy(value)}))
        value += step
    return values


def _tidy(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def languages_of(source: Any, found: set[str] | None = None) -> set[str]:
    """Every language a localizable string of the survey names (besides `default`)."""
    found = set() if found is None else found
    if isinstance(source, dict):
        if "default" in source and all(isinstance(v, str) for v in source.values()):
            found.update(k for k in source if k != "default")
            return found
        for value in source.values():
            languages_of(value, found)
    elif isinstance(source, list):
        for value in source:
            languages_of(value, found)
    return found
