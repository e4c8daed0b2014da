"""The condition fields of a survey's logic: `answers.<element_id>` (a matrix row:
`answers.<matrix_id>[<row_id>]`), `hidden.<name>` and `variables.<id>`.

They exist only inside one survey, so they are resolved against its definition: `registry_for`
gives the product's registry with these three families bound to one survey's elements, hidden
fields and variables (an unknown element is 422 `invalid_condition` naming the path). The
product's registry holds the same families unbound (`register`), so that a segment or any other
condition naming them is told that only a survey's logic may.

In memory the fields read the facts `answers` ({element_id: value}), `hidden` ({name: text})
and `variables` ({id: number}) of the evaluation's Context."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from kizuna.core import conditions as c
from kizuna.core.conditions import MISSING, Context, FieldFamily, FieldSpec, Getter, Leaf
from kizuna.feedback.definitions.elements import ElementInfo

SUBJECT = "response"
ANSWERS = "answers."
HIDDEN = "hidden."
VARIABLES = "variables."


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return MISSING
    return c.number_value(value) if isinstance(value, float) else value


def _text(value: Any) -> Any:
    return value if isinstance(value, str) and value != "" else MISSING


def _texts(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        return MISSING
    return frozenset(v for v in value if isinstance(v, str))


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else MISSING


def _date(value: Any) -> Any:
    parsed = c.parse_date(value) if isinstance(value, str) else None
    return parsed if isinstance(parsed, date) else MISSING


# (type of the field, how an answer's JSON becomes its value) by element type.
_ANSWER_TYPES: dict[str, tuple[c.ValueType, Callable[[Any], Any]]] = {
    "nps": (c.INTEGER, _number),
    "csat": (c.INTEGER, _number),
    "ces": (c.INTEGER, _number),
    "rating": (c.INTEGER, _number),
    "single_choice": (c.STRING, _text),
    "dropdown": (c.STRING, _text),
    "multiple_choice": (c.list_of(c.STRING), _texts),
    "ranking": (c.list_of(c.STRING), _texts),
    "text": (c.STRING, _text),
    "date": (c.DATE, _date),
    "boolean": (c.BOOLEAN, _boolean),
    "consent": (c.BOOLEAN, _boolean),
}


def _reader(fact: str, key: str, row: str | None, convert: Callable[[Any], Any]) -> c.MemoryReader:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            values = ctx.get(fact)
            if not isinstance(values, dict) or key not in values:
                return MISSING
            value = values[key]
            if row is not None:
                value = value.get(row, MISSING) if isinstance(value, dict) else MISSING
            return MISSING if value is MISSING or value is None else convert(value)

        return get

    return in_memory


def _spec(
    name: str,
    vtype: c.ValueType,
    reader: c.MemoryReader,
    description: str,
    example: Any,
    choices: tuple[str, ...] | None = None,
) -> FieldSpec:
    op = "in" if choices and not vtype.is_list else ("any_in" if vtype.is_list else "exists")
    leaf: dict[str, Any] = {"field": name, "op": op}
    if op != "exists":
        leaf["value"] = example
    return FieldSpec(
        name=name,
        type=vtype,
        subject=SUBJECT,
        description=description,
        example=leaf,
        in_memory=reader,
        choices=choices,
    )


def answer_field(element: ElementInfo, row: str | None = None) -> FieldSpec | None:
    """The field of an element's answer (of one row's, for a matrix), or None when the
    element takes none this way (a statement; a matrix as a whole)."""
    if element.type == "matrix":
        if row is None or row not in element.rows:
            return None
        name = f"{ANSWERS}{element.id}[{row}]"
        reader = _reader("answers", element.id, row, _text)
        return _spec(
            name,
            c.STRING,
            reader,
            "The column chosen in one row of a matrix.",
            list(element.choices[:1]),
            element.choices,
        )
    if row is not None or element.type not in _ANSWER_TYPES:
        return None
    vtype, convert = _ANSWER_TYPES[element.type]
    if element.text_format == "number":
        vtype, convert = c.NUMBER, _number
    choices = element.choices or None
    reader = _reader("answers", element.id, None, convert)
    return _spec(
        f"{ANSWERS}{element.id}",
        vtype,
        reader,
        f"The answer to a {element.type} element.",
        list(element.choices[:1]),
        choices,
    )


def _split_row(parameter: str) -> tuple[str, str] | None:
    if not parameter.endswith("]") or "[" not in parameter:
        return None
    element_id, _, row = parameter[:-1].rpartition("[")
    return element_id, row


def survey_families(
    elements: dict[str, ElementInfo], hidden: set[str], variables: set[str]
) -> list[FieldFamily]:
    def resolve_answer(parameter: str, resolution: c.Resolution) -> FieldSpec | None:
        element = elements.get(parameter)
        if element is not None:
            return answer_field(element)
        split = _split_row(parameter)
        if split is not None and split[0] in elements:
            return answer_field(elements[split[0]], split[1])
        return None

    def resolve_hidden(parameter: str, resolution: c.Resolution) -> FieldSpec | None:
        if parameter not in hidden:
            return None
        reader = _reader("hidden", parameter, None, _text)
        return _spec(f"{HIDDEN}{parameter}", c.STRING, reader, "A hidden field.", None)

    def resolve_variable(parameter: str, resolution: c.Resolution) -> FieldSpec | None:
        if parameter not in variables:
            return None
        reader = _reader("variables", parameter, None, _number)
        return _spec(f"{VARIABLES}{parameter}", c.NUMBER, reader, "A variable.", None)

    return [
        FieldFamily(
            ANSWERS,
            "<element_id>",
            SUBJECT,
            "The answer to an element.",
            resolve_answer,
            lambda r: [],
            "No element {name!r} with an answer in this survey.",
        ),
        FieldFamily(
            HIDDEN,
            "<name>",
            SUBJECT,
            "A hidden field.",
            resolve_hidden,
            lambda r: [],
            "No hidden field {name!r} in this survey.",
        ),
        FieldFamily(
            VARIABLES,
            "<id>",
            SUBJECT,
            "A variable.",
            resolve_variable,
            lambda r: [],
            "No variable {name!r} in this survey.",
        ),
    ]


def registry_for(
    elements: dict[str, ElementInfo], hidden: set[str], variables: set[str]
) -> c.Registry:
    """The product's fields, and this survey's answers, hidden fields and variables."""
    bound = {family.prefix: family for family in survey_families(elements, hidden, variables)}
    return c.Registry(fields=dict(c.registry.fields), families={**c.registry.families, **bound})


def register() -> None:
    """The three families, unbound: outside a survey they name nothing."""
    for prefix, placeholder, description in (
        (ANSWERS, "<element_id>", "The answer to a survey element (survey logic only)."),
        (HIDDEN, "<name>", "A survey's hidden field (survey logic only)."),
        (VARIABLES, "<id>", "A survey's variable (survey logic only)."),
    ):
        c.register_family(
            FieldFamily(
                prefix=prefix,
                placeholder=placeholder,
                subject=SUBJECT,
                description=description,
                resolve=_nothing,
                listing=_none,
                unknown=f"{prefix}{{name}}: answers, hidden fields and variables belong to one "
                "survey; only its logic may name them.",
            )
        )


def _nothing(parameter: str, resolution: c.Resolution) -> FieldSpec | None:
    return None


def _none(resolution: c.Resolution) -> list[FieldSpec]:
    return []
