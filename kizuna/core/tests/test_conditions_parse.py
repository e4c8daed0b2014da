"""Validation of condition JSON: every fault is an InvalidCondition naming its JSON path."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.core.conditions import InvalidCondition, parse
from kizuna.core.conditions.types import Duration
from kizuna.core.tests.conditions_support import make_registry

REGISTRY = make_registry()


def fault(data: Any, **kwargs: Any) -> InvalidCondition:
    with pytest.raises(InvalidCondition) as info:
        parse(data, registry=REGISTRY, **kwargs)
    assert info.value.code == "invalid_condition"
    assert info.value.status == 422
    return info.value


def leaf(field: Any = "doc.s_city", op: Any = "eq", value: Any = "Osaka", **extra: Any) -> Any:
    return {"field": field, "op": op, "value": value, **extra}


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ([], "condition", "is an object"),
        ("all", "condition", "is an object"),
        ({}, "condition", "Expected a group"),
        ({"all": {}}, "condition.all", "takes a list"),
        ({"all": [leaf(), 5]}, "condition.all[1]", "is an object"),
        ({"all": [], "any": []}, "condition.any", "does not belong"),
        ({"not": leaf(), "field": "x"}, "condition.field", "does not belong"),
        ({"any": [leaf(), leaf(field="nope")]}, "condition.any[1].field", "Unknown field"),
        (leaf(field=5), "condition.field", "Name the field"),
        (leaf(field=""), "condition.field", "Name the field"),
        (leaf(op=None), "condition.op", "Name the operator"),
        (leaf(op="equals"), "condition.op", "Unknown operator"),
        (leaf(op="matches", value="^O"), "condition.op", "Regular expressions"),
        (leaf(op="regex", value="^O"), "condition.op", "Regular expressions"),
        (leaf(op="gt"), "condition.op", "does not fit doc.s_city, a string field"),
        (leaf("doc.b_vip", "contains", "x"), "condition.op", "does not fit"),
        (leaf("doc.n_age", "starts_with", "1"), "condition.op", "does not fit"),
        (leaf(value=5), "condition.value", "Expected a string"),
        (leaf(value="x" * 1001), "condition.value", "at most 1000"),
        (leaf(value="a\x00b"), "condition.value", "NUL"),
        (leaf("doc.n_age", "gt", "5"), "condition.value", "Expected a number"),
        (leaf("doc.n_age", "gt", True), "condition.value", "Expected a number"),
        (leaf("doc.n_age", "gt", 1e16), "condition.value", "smaller than"),
        (leaf("doc.b_vip", "eq", "true"), "condition.value", "true or false"),
        (leaf("doc.d_born", "gt", "2026-02-30"), "condition.value", "YYYY-MM-DD"),
        (leaf("doc.d_born", "gt", "2026-2-3"), "condition.value", "YYYY-MM-DD"),
        (leaf("event.occurred_at", "gt", "2026-01-01T00:00:00"), "condition.value", "offset"),
        (leaf("event.occurred_at", "gt", "2026-01-01"), "condition.value", "offset"),
        (leaf("event.occurred_at", "within_last", "30"), "condition.value", "duration"),
        (leaf("event.occurred_at", "within_last", "0d"), "condition.value", "duration"),
        (leaf("event.occurred_at", "within_last", "3h"), "condition.value", "duration"),
        (leaf(op="in", value=[]), "condition.value", "empty"),
        (leaf(op="in", value="Osaka"), "condition.value", "list"),
        (leaf(op="in", value=["Osaka", 3]), "condition.value[1]", "Expected a string"),
        (leaf("doc.n_age", "between", [5]), "condition.value", "two values"),
        (leaf("doc.n_age", "between", [5, 1]), "condition.value[1]", "greater than high"),
        (leaf("doc.n_age", "between", [1, "x"]), "condition.value[1]", "number"),
        (leaf(op="contains", value=""), "condition.value", "non-empty"),
        (leaf(op="exists", value="x"), "condition.value", "takes no value"),
        ({"field": "doc.s_city", "op": "eq"}, "condition.value", "needs a value"),
        (leaf(within="90d"), "condition.within", "does not apply"),
        (leaf(colour="red"), "condition.colour", "does not apply"),
        (leaf("event.windowed", "gt", 1, within="90"), "condition.within", "duration"),
        (leaf("doc.x_what"), "condition.field", "No payload key 'x_what'"),
        (leaf("doc."), "condition.field", "No payload key ''"),
        (leaf("event.status", "eq", "lost"), "condition.value", "not a value of event.status"),
        (
            leaf("event.status", "in", ["sent", "lost"]),
            "condition.value[1]",
            "not a value of",
        ),
        (
            {"all": [leaf(), {"not": {"any": [leaf(), leaf(value=None)]}}]},
            "condition.all[1].not.any[1].value",
            "Expected a string",
        ),
    ],
)
def test_faults_name_their_path(data: Any, path: str, words: str) -> None:
    error = fault(data)
    assert error.field == path
    assert words in error.message


def test_the_path_starts_with_the_body_field_that_holds_the_condition() -> None:
    error = fault({"all": [leaf(), leaf(), leaf(value=1)]}, root="conditions")
    assert error.field == "conditions.all[2].value"


def nested(depth: int) -> Any:
    data: Any = leaf()
    for _ in range(depth - 1):
        data = {"not": data}
    return data


def test_depth_is_at_most_ten() -> None:
    assert parse(nested(10), registry=REGISTRY).depth == 10
    error = fault(nested(11))
    assert error.field == "condition" + ".not" * 10
    assert "at most 10 levels" in error.message


def test_at_most_two_hundred_leaves() -> None:
    assert len(parse({"any": [leaf()] * 200}, registry=REGISTRY).leaves) == 200
    error = fault({"any": [leaf()] * 201})
    assert error.field == "condition.any[200]"
    assert "at most 200" in error.message


def test_a_huge_tree_of_empty_groups_is_refused_early() -> None:
    error = fault({"any": [{"all": []}] * 5000})
    assert "at most 1000 parts" in error.message


def test_fields_of_other_subjects_are_refused_where_not_allowed() -> None:
    parse(leaf("other.flag", "eq", True), registry=REGISTRY)
    error = fault(leaf("other.flag", "eq", True), subjects={"doc"}, usage="a segment")
    assert error.field == "condition.field"
    assert "a segment may use fields of doc only" in error.message


def test_a_valid_condition_keeps_its_source_and_typed_values() -> None:
    data = {
        "all": [
            leaf("doc.n_age", "between", [1, 2.5]),
            leaf("event.windowed", "gte", 2, within="12w"),
            leaf("doc.s_city", "in", ["Osaka", "Seoul", "Osaka"]),
            leaf("doc.d_born", "exists", None),
        ]
    }
    condition = parse(data, registry=REGISTRY)
    assert condition.source is data
    between, windowed, cities, born = condition.leaves
    assert between.value == (1, pytest.approx(2.5))
    assert str(between.value[1]) == "2.5"
    assert windowed.within == Duration(12, "w")
    assert cities.value == ("Osaka", "Seoul")
    assert born.value is None
    assert condition.subjects == {"doc"}


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["all", "any", "not", "field", "op", "value", "doc.s_city", "eq", "in"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["all", "any", "not", "field", "op", "value", "within", "event", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_arbitrary_json_is_either_a_condition_or_an_invalid_condition(data: Any) -> None:
    try:
        parse(data, registry=REGISTRY)
    except InvalidCondition as error:
        assert error.field is not None and error.field.startswith("condition")
