"""One SurveyJS element as one native Kizuna element (docs/surveyjs.md, "What maps to what").

The native element carries what results, exports and responses need: the type, the choices
and the texts. Logic (visibleIf, enableIf, requiredIf, validators, triggers...) stays in the
SurveyJS source, which the runtime evaluates; it is not translated into native conditions,
whose semantics differ (ADR 0028)."""

import re
from dataclasses import dataclass
from typing import Any

from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.properties import DROPPED_TYPES, PRESENTATION, UNSUPPORTED, USED
from kizuna.feedback.surveyjs.report import Report

TITLE_MAX = 5000
LABEL_MAX = 200
CHOICE_MAX = 1000
NPS_HINT = re.compile(r"nps|recommend|おすすめ|薦め|推薦|추천", re.IGNORECASE)
# Properties read by the importer or the runtime.
# Properties of presentation only: nothing to map, nothing lost that an answer needs.


@dataclass
class Mapper:
    languages: list[str]
    default_language: str
    report: Report

    # -- texts -------------------------------------------------------------------------
    def text(
        self, value: Any, path: str, fallback: str | None, limit: int = TITLE_MAX
    ) -> dict[str, str] | None:
        """A SurveyJS localizable string as a native text, in the survey's languages."""
        found: dict[str, str] = {}
        if isinstance(value, str):
            found["default"] = value
        elif isinstance(value, dict):
            for key, text in value.items():
                if not isinstance(text, str) or not text.strip():
                    continue
                lang = "default" if key in ("default", self.default_language) else key
                if lang == "default" and "default" in found and key != "default":
                    continue
                if lang == "default" or lang in self.languages:
                    found[lang] = text
        if "default" not in found or not found["default"].strip():
            if fallback is None or not fallback.strip():
                return None
            found["default"] = fallback
        for lang, text in list(found.items()):
            if len(text) > limit:
                found[lang] = text[:limit]
                self.report.add(
                    path,
                    f"Text longer than {limit} characters is cut natively.",
                    "mapped_approximately",
                )
        return found

    # -- elements ----------------------------------------------------------------------
    def element(self, element: dict[str, Any], path: str) -> dict[str, Any] | None:
        kind = element.get("type")
        name = element.get("name")
        self._properties(element, path)
        build = _BUILDERS.get(str(kind))
        if kind in DROPPED_TYPES:
            reason = DROPPED_TYPES[kind]
            self.report.add(
                path,
                f"A {kind} has no native equivalent ({reason}): natively a statement; its answer "
                "and logic are kept in the SurveyJS source and data, and evaluated there.",
                "unsupported_type",
            )
            build = _placeholder
        elif build is None:
            self.report.add(
                path,
                f"The element type {kind!r} is not supported: natively a statement; kept in the "
                "SurveyJS source.",
                "unsupported_type",
            )
            build = _placeholder
        if not isinstance(name, str) or not name:
            self.report.add(
                f"{path}.name", "An element without a name takes no answer; left out.", "invalid"
            )
            return None
        native: dict[str, Any] = {"id": name, "type": "text"}
        title = self.text(element.get("title"), f"{path}.title", name)
        native["title"] = title
        description = self.text(element.get("description"), f"{path}.description", None)
        if description:
            native["description"] = description
        built = _kizuna_type(self, element, path, native) or build(self, element, path, native)
        if built is None:
            return None
        if element.get("isRequired") is True and built["type"] != "statement":
            built["required"] = True
        return built

    def _properties(self, element: dict[str, Any], path: str) -> None:
        for key in element:
            if key in USED or key in PRESENTATION:
                continue
            if key in UNSUPPORTED:
                self.report.add(
                    f"{path}.{key}",
                    f"{key}: {UNSUPPORTED[key]}; kept in the SurveyJS source only.",
                    "unsupported_property",
                )
            else:
                self.report.add(
                    f"{path}.{key}",
                    f"Kizuna does not know the property {key!r}; kept in the SurveyJS source only.",
                    "unknown_property",
                )

    def choice_list(
        self, items: list[sjs.Choice], path: str, reserved: set[str]
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            choice_id = item.id.strip()
            at = f"{path}[{i}]"
            if not choice_id or len(choice_id) > 128 or choice_id in seen or choice_id in reserved:
                problem = (
                    "taken by the built-in other choice"
                    if choice_id in reserved
                    else "empty, too long or taken twice"
                )
                self.report.add(
                    at,
                    f"The choice value {item.value!r} is {problem}; left out natively.",
                    "invalid",
                )
                continue
            seen.add(choice_id)
            text = self.text(item.text, f"{at}.text", sjs.choice_id(item.value), CHOICE_MAX)
            found.append({"id": choice_id, "text": text})
        return found


def _kizuna_type(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    """A type written by Kizuna's own export (`kizunaType`), read back where it fits."""
    kind, wanted = element.get("type"), element.get("kizunaType")
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    if kind == "rating" and wanted in scales:
        low, high = scales[wanted]
        if [c.value for c in sjs.rating_values(element)] == list(range(low, high + 1)):
            labels = {}
            for key, native_key in (
                ("minRateDescription", "min_label"),
                ("maxRateDescription", "max_label"),
            ):
                label = mapper.text(element.get(key), f"{path}.{key}", None, LABEL_MAX)
                if label:
                    labels[native_key] = label
            return {**native, "type": wanted, **labels}
    if kind == "boolean" and wanted == "consent":
        label = mapper.text(element.get("label"), f"{path}.label", None)
        if label:
            return {**native, "type": "consent", "label": label}
    return None


def _choice(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    kind = element["type"]
    multiple = kind in ("checkbox", "tagbox") or (
        kind == "imagepicker" and element.get("multiSelect")
    )
    native["type"] = {"dropdown": "dropdown", "ranking": "ranking"}.get(
        kind, "multiple_choice" if multiple else "single_choice"
    )
    other = sjs.has_other(element) and kind != "ranking"
    items = sjs.choices(element) + sjs.built_in_choices(element)
    if element.get("choicesFromQuestion"):
        mapper.report.add(
            f"{path}.choicesFromQuestion",
            "Choices copied from another question are read from that question by the runtime; "
            "natively the element has only its own choices.",
            "mapped_approximately",
        )
    if kind == "imagepicker":
        mapper.report.add(
            path,
            "An image picker is a choice natively; its images are kept in the SurveyJS source "
            "only.",
            "mapped_approximately",
        )
    choices = mapper.choice_list(items, f"{path}.choices", {"other"} if other else set())
    if len(choices) < (2 if kind == "ranking" else 1) or len(choices) > 500:
        mapper.report.add(
            f"{path}.choices",
            "Too few or too many choices for a native choice element; left out natively (kept in "
            "the SurveyJS source).",
            "unsupported_type",
        )
        return None
    native["choices"] = choices
    if other:
        native["other"] = True
        label = mapper.text(element.get("otherText"), f"{path}.otherText", None, LABEL_MAX)
        if label:
            native["other_text"] = label
    if element.get("choicesOrder") == "random" and kind != "dropdown":
        native["randomize"] = True
    if native["type"] == "multiple_choice":
        count = len(choices) + (1 if other else 0)
        high = element.get("maxSelectedChoices")
        low = element.get("minSelectedChoices")
        if isinstance(high, int) and 1 <= high <= count:
            native["max"] = high
        if isinstance(low, int) and 0 <= low <= min(count, native.get("max", count)):
            native["min"] = low
    if kind == "dropdown":
        placeholder = mapper.text(
            element.get("placeholder") or element.get("placeHolder"),
            f"{path}.placeholder",
            None,
            LABEL_MAX,
        )
        if placeholder:
            native["placeholder"] = placeholder
    return native


def _text(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    input_type = element.get("inputType", "text")
    if element["type"] == "comment":
        native["multiline"] = True
    elif input_type == "date":
        native["type"] = "date"
        bounds = {
            k: element[k]
            for k in ("min", "max")
            if isinstance(element.get(k), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", element[k])
        }
        if bounds and bounds.get("min", "") <= bounds.get("max", "9999-12-31"):
            native["validation"] = bounds
        return native
    placeholder = mapper.text(
        element.get("placeholder") or element.get("placeHolder"),
        f"{path}.placeholder",
        None,
        LABEL_MAX,
    )
    if placeholder:
        native["placeholder"] = placeholder
    rules: dict[str, Any] = {}
    if input_type in ("number", "email", "url"):
        rules["format"] = input_type
    elif (
        input_type not in ("text", "tel", "password", "color", "search")
        and element["type"] == "text"
    ):
        mapper.report.add(
            f"{path}.inputType", f"A {input_type} input is text natively.", "mapped_approximately"
        )
    limit = element.get("maxLength")
    if isinstance(limit, int) and 1 <= limit <= 10_000:
        rules["max_length"] = limit
    for validator in element.get("validators") or []:
        if not isinstance(validator, dict):
            continue
        if validator.get("type") == "email" and "format" not in rules:
            rules["format"] = "email"
        if validator.get("type") == "text":
            low, high = validator.get("minLength"), validator.get("maxLength")
            if isinstance(low, int) and 1 <= low <= rules.get("max_length", 10_000):
                rules["min_length"] = low
            if (
                isinstance(high, int)
                and max(rules.get("min_length", 1), 1) <= high <= 10_000
                and "max_length" not in rules
            ):
                rules["max_length"] = high
    if input_type == "number":
        low, high = element.get("min"), element.get("max")
        for key, bound in (("min", low), ("max", high)):
            if (
                isinstance(bound, int | float)
                and not isinstance(bound, bool)
                and abs(bound) <= 10**15
            ):
                rules[key] = bound
        if "min" in rules and "max" in rules and rules["min"] > rules["max"]:
            rules.pop("min"), rules.pop("max")
    if rules:
        native["validation"] = rules
    return native


def _rating(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    values = [c.value for c in sjs.rating_values(element)]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    labels = {}
    for key, native_key in (
        ("minRateDescription", "min_label"),
        ("maxRateDescription", "max_label"),
    ):
        label = mapper.text(element.get(key), f"{path}.{key}", None, LABEL_MAX)
        if label:
            labels[native_key] = label
    hint = f"{element.get('name', '')} {sjs.localized(element.get('title'), 'default') or ''}"
    if numbers == list(range(11)) and NPS_HINT.search(hint):
        mapper.report.add(
            path,
            "A 0-10 rating that asks about recommending is mapped to nps (answers 0..10, scored "
            "as NPS).",
            "mapped_approximately",
        )
        return {**native, "type": "nps", **labels}
    if (
        len(numbers) == len(values)
        and 3 <= len(values) <= 10
        and numbers == list(range(1, len(values) + 1))
    ):
        stars = {"display": "stars"} if element.get("rateType") == "stars" else {}
        return {**native, "type": "rating", "points": len(values), **stars, **labels}
    mapper.report.add(
        path,
        f"Native ratings run 1 to 3..10; this one offers {values[:12]!r}. Mapped to a single "
        "choice of those values; the SurveyJS runtime still treats the answer as the rated value.",
        "mapped_approximately",
    )
    items = [sjs.Choice(v, None, {"value": v}) for v in values] or []
    choices = mapper.choice_list(items, f"{path}.rateValues", set())
    if not choices:
        return None
    return {**native, "type": "single_choice", "choices": choices}


def _boolean(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    native["type"] = "boolean"
    for key, native_key in (("labelTrue", "true_text"), ("labelFalse", "false_text")):
        label = mapper.text(element.get(key), f"{path}.{key}", None, LABEL_MAX)
        if label:
            native[native_key] = label
    return native


def _statement(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    native["type"] = "statement"
    if element["type"] == "html":
        html = mapper.text(element.get("html"), f"{path}.html", None)
        if html:
            native["title"] = html
    else:
        mapper.report.add(
            path,
            "An expression element is a statement natively; the runtime computes its value into "
            "the data.",
            "mapped_approximately",
        )
    return native


def _placeholder(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    native["type"] = "statement"
    return native


def _matrix(
    mapper: Mapper, element: dict[str, Any], path: str, native: dict[str, Any]
) -> dict[str, Any] | None:
    native["type"] = "matrix"
    rows = mapper.choice_list(sjs.choices(element, "rows"), f"{path}.rows", set())
    columns = mapper.choice_list(sjs.choices(element, "columns"), f"{path}.columns", set())
    if not 1 <= len(rows) <= 100 or not 2 <= len(columns) <= 20:
        mapper.report.add(
            path,
            "A native matrix has 1 to 100 rows and 2 to 20 columns; left out natively.",
            "unsupported_type",
        )
        return None
    native["rows"], native["choices"] = rows, columns
    if element.get("rowsOrder") == "random":
        native["randomize"] = True
    return native


_BUILDERS: dict[str, Any] = {
    **{kind: _choice for kind in sjs.CHOICE_TYPES},
    "text": _text,
    "comment": _text,
    "rating": _rating,
    "boolean": _boolean,
    "html": _statement,
    "expression": _statement,
    "matrix": _matrix,
}
