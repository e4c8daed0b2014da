"""A Kizuna survey as SurveyJS JSON (`GET /surveys/{id}/export?format=surveyjs`).

An imported survey is exported as its SurveyJS source, unchanged: that is what it runs as.
A native survey is written out element by element; types SurveyJS has no name for carry
`kizunaType` (SurveyJS ignores unknown properties; the importer reads it back), so that
importing the export gives the same element ids, types and choice ids. Conditions become
SurveyJS expressions where SurveyJS has the operator (customer fields and date spans have
none and are left out); a jump to an ending becomes a complete trigger, a jump to a page a
skip trigger to its first element."""

import copy
import re
from typing import Any

RATING_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
_REFERENCE = re.compile(r"\{(?:answers|hidden|variables)\.([^{}]+)\}")


def export_survey(survey: Any) -> dict[str, Any]:
    """SurveyJS JSON of a survey (a Survey row, or anything with `definition`,
    `default_language` and, for an imported one, `source_format` and `source`)."""
    if getattr(survey, "source_format", "") == "surveyjs" and getattr(survey, "source", None):
        return copy.deepcopy(survey.source)
    return export_definition(
        survey.definition, getattr(survey, "default_language", "en"), getattr(survey, "name", None)
    )


def export_definition(
    definition: dict[str, Any], default_language: str = "en", title: str | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if title:
        result["title"] = title
    if default_language != "en":
        result["locale"] = default_language
    result["pages"] = [_page(page) for page in definition.get("pages", [])]
    triggers = _jumps(definition)
    if triggers:
        result["triggers"] = triggers
    endings = definition.get("endings") or []
    if endings:
        result["completedHtml"] = _text(endings[0]["title"])
        conditional = _ending_conditions(definition)
        if conditional:
            result["completedHtmlOnCondition"] = conditional
    variables = [
        {
            "name": v["id"],
            "expression": _REFERENCE.sub(r"{\1}", v["expression"]),
            "includeIntoResult": True,
        }
        for v in definition.get("variables") or []
    ]
    if variables:
        result["calculatedValues"] = variables
    return result


def _text(value: Any) -> Any:
    """A native text as a SurveyJS localizable string (a plain string when only default)."""
    if isinstance(value, dict) and set(value) == {"default"}:
        return value["default"]
    return copy.deepcopy(value)


def _page(page: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": page["id"]}
    for key in ("title", "description"):
        if key in page:
            out[key] = _text(page[key])
    if "visible_if" in page:
        _condition(out, "visibleIf", page["visible_if"])
    out["elements"] = [_element(e) for e in page["elements"]]
    return out


def _choices(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        choice: dict[str, Any] = {"value": item["id"], "text": _text(item["text"])}
        if "visible_if" in item:
            _condition(choice, "visibleIf", item["visible_if"])
        found.append(choice)
    return found


def _element(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    out: dict[str, Any] = {"name": element["id"], "title": _text(element["title"])}
    if "description" in element:
        out["description"] = _text(element["description"])
    if element.get("required"):
        out["isRequired"] = True
    for key, target in (
        ("visible_if", "visibleIf"),
        ("required_if", "requiredIf"),
        ("enable_if", "enableIf"),
    ):
        if key in element:
            _condition(out, target, element[key])
    _BY_TYPE[kind](element, out)
    return out


def _labels(element: dict[str, Any], out: dict[str, Any]) -> None:
    for key, target in (("min_label", "minRateDescription"), ("max_label", "maxRateDescription")):
        if key in element:
            out[target] = _text(element[key])


def _scale(element: dict[str, Any], out: dict[str, Any]) -> None:
    low, high = RATING_SCALES[element["type"]]
    out.update(type="rating", rateMin=low, rateMax=high, kizunaType=element["type"])
    _labels(element, out)


def _rating(element: dict[str, Any], out: dict[str, Any]) -> None:
    out.update(type="rating", rateMin=1, rateMax=element["points"])
    if element.get("display") == "stars":
        out["rateType"] = "stars"
    _labels(element, out)


def _choice(element: dict[str, Any], out: dict[str, Any]) -> None:
    out["type"] = {"single_choice": "radiogroup", "multiple_choice": "checkbox"}.get(
        element["type"], element["type"]
    )
    out["choices"] = _choices(element["choices"])
    if element.get("other"):
        out["showOtherItem"] = True
        if "other_text" in element:
            out["otherText"] = _text(element["other_text"])
    if element.get("randomize"):
        out["choicesOrder"] = "random"
    if "min" in element:
        out["minSelectedChoices"] = element["min"]
    if "max" in element:
        out["maxSelectedChoices"] = element["max"]
    if "placeholder" in element:
        out["placeholder"] = _text(element["placeholder"])


def _matrix(element: dict[str, Any], out: dict[str, Any]) -> None:
    out.update(type="matrix", columns=_choices(element["choices"]), rows=_choices(element["rows"]))
    if element.get("randomize"):
        out["rowsOrder"] = "random"


def _text_element(element: dict[str, Any], out: dict[str, Any]) -> None:
    out["type"] = "comment" if element.get("multiline") else "text"
    if "placeholder" in element:
        out["placeholder"] = _text(element["placeholder"])
    rules = element.get("validation") or {}
    if rules.get("format") in ("number", "email", "url") and not element.get("multiline"):
        out["inputType"] = rules["format"]
    for key in ("min", "max"):
        if key in rules:
            out[key] = rules[key]
    if "max_length" in rules:
        out["maxLength"] = rules["max_length"]
    validators: list[dict[str, Any]] = []
    if rules.get("format") == "email":
        validators.append({"type": "email"})
    if "min_length" in rules:
        validators.append({"type": "text", "minLength": rules["min_length"]})
    if validators:
        out["validators"] = validators


def _date(element: dict[str, Any], out: dict[str, Any]) -> None:
    out.update(type="text", inputType="date")
    rules = element.get("validation") or {}
    for key in ("min", "max"):
        if key in rules:
            out[key] = rules[key]


def _boolean(element: dict[str, Any], out: dict[str, Any]) -> None:
    out["type"] = "boolean"
    for key, target in (("true_text", "labelTrue"), ("false_text", "labelFalse")):
        if key in element:
            out[target] = _text(element[key])


def _consent(element: dict[str, Any], out: dict[str, Any]) -> None:
    out.update(
        type="boolean", renderAs="checkbox", label=_text(element["label"]), kizunaType="consent"
    )
    if element.get("required"):
        out["validators"] = [{"type": "expression", "expression": f"{{{element['id']}}} = true"}]


def _statement(element: dict[str, Any], out: dict[str, Any]) -> None:
    out.update(type="html", html=out.pop("title"))
    out.pop("isRequired", None)


_BY_TYPE = {
    "nps": _scale,
    "csat": _scale,
    "ces": _scale,
    "rating": _rating,
    "single_choice": _choice,
    "multiple_choice": _choice,
    "dropdown": _choice,
    "ranking": _choice,
    "matrix": _matrix,
    "text": _text_element,
    "date": _date,
    "boolean": _boolean,
    "consent": _consent,
    "statement": _statement,
}


# -- conditions ---------------------------------------------------------------------------
def _condition(out: dict[str, Any], key: str, condition: Any) -> None:
    expression = expression_of(condition)
    if expression:
        out[key] = expression


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _field(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    for prefix in ("answers.", "hidden.", "variables."):
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            match = re.fullmatch(r"(.+)\[(.+)\]", rest)
            return f"{{{match.group(1)}.{match.group(2)}}}" if match else f"{{{rest}}}"
    return None


_OPS = {
    "eq": "{f} = {v}",
    "ne": "({f} notempty and {f} != {v})",
    "gt": "{f} > {v}",
    "gte": "{f} >= {v}",
    "lt": "{f} < {v}",
    "lte": "{f} <= {v}",
    "before": "{f} < {v}",
    "after": "{f} > {v}",
    "in": "{f} anyof {v}",
    "not_in": "({f} notempty and {f} noneof {v})",
    "contains": "{f} contains {v}",
    "not_contains": "({f} notempty and {f} notcontains {v})",
    "exists": "{f} notempty",
    "not_exists": "{f} empty",
    "any_in": "{f} anyof {v}",
    "all_in": "{f} allof {v}",
    "none_in": "{f} noneof {v}",
}


def expression_of(condition: Any) -> str | None:
    """A native condition as a SurveyJS expression; None where SurveyJS has no equivalent."""
    if not isinstance(condition, dict):
        return None
    for group, joiner in (("all", " and "), ("any", " or ")):
        if group in condition:
            parts = [expression_of(c) for c in condition[group]]
            if not parts or any(p is None for p in parts):
                return None
            return "(" + joiner.join(p for p in parts if p) + ")"
    if "not" in condition:
        inner = expression_of(condition["not"])
        return f"!({inner})" if inner else None
    field = _field(condition.get("field"))
    template = _OPS.get(str(condition.get("op")))
    if field is None:
        return None
    if condition.get("op") == "between" and isinstance(condition.get("value"), list):
        low, high = condition["value"]
        return f"({field} >= {_value(low)} and {field} <= {_value(high)})"
    if template is None:
        return None
    return template.format(f=field, v=_value(condition.get("value")))


def _jumps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    endings = {e["id"] for e in definition.get("endings") or []}
    first_elements = {
        p["id"]: p["elements"][0]["id"] for p in definition.get("pages", []) if p["elements"]
    }
    triggers: list[dict[str, Any]] = []
    for page in definition.get("pages", []):
        for jump in page.get("next") or []:
            expression = expression_of(jump["if"]) if "if" in jump else "true"
            if not expression:
                continue
            if jump["goto"] in endings:
                triggers.append({"type": "complete", "expression": expression})
            elif jump["goto"] in first_elements:
                triggers.append(
                    {
                        "type": "skip",
                        "expression": expression,
                        "gotoName": first_elements[jump["goto"]],
                    }
                )
    return triggers


def _ending_conditions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {e["id"]: e for e in definition.get("endings") or []}
    found: list[dict[str, Any]] = []
    for page in definition.get("pages", []):
        for jump in page.get("next") or []:
            ending = by_id.get(jump["goto"])
            expression = expression_of(jump["if"]) if "if" in jump else None
            if ending is not None and expression:
                found.append({"expression": expression, "html": _text(ending["title"])})
    return found
