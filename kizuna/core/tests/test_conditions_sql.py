"""The SQL compiler agrees with the in-memory evaluator, on SQLite and on PostgreSQL: random
conditions over random JSON documents (values of the wrong type and absent keys included)
select the same rows both ways. The domain fields are checked the same way in
kizuna/insights/tests/test_conditions_agree.py."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.core.conditions import compile_condition, evaluate, ops_for, parse
from kizuna.core.conditions.types import BOOLEAN, DATE, NUMBER, STRING, ValueType
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.core.tests.conditions_support import doc_context, make_registry

REGISTRY = make_registry()
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_slugs = itertools.count()

STRINGS = ["Osaka", "osaka", "Seoul", "Ōsaka", "O", "ka", "大阪", "a%b", "a_b"]
NUMBERS = [0, 1, -1, 0.1, 0.2, 2.5, 100, 99.99, 10**14]
DATES = ["2026-05-01", "2026-04-01", "2026-03-31", "2025-05-01", "2026-06-01", "1990-01-02"]
WRONG: list[Any] = [None, [], {}, "1", 1, True]


def values_for(vtype: ValueType) -> st.SearchStrategy[Any]:
    if vtype == STRING:
        return st.sampled_from(STRINGS)
    if vtype == NUMBER:
        return st.sampled_from(NUMBERS)
    if vtype == BOOLEAN:
        return st.booleans()
    if vtype == DATE:
        return st.sampled_from(DATES)
    raise AssertionError(vtype)


FIELDS = {"doc.s_a": STRING, "doc.n_a": NUMBER, "doc.b_a": BOOLEAN, "doc.d_a": DATE}


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from([*FIELDS, "event.type", "event.occurred_at"]))
    if field == "event.type":
        op = draw(st.sampled_from(["eq", "in", "not_in", "starts_with"]))
        value: Any = {
            "eq": "t1",
            "in": ["t1", "t2"],
            "not_in": ["t0"],
            "starts_with": "t",
        }[op]
        return {"field": field, "op": op, "value": value}
    if field == "event.occurred_at":
        op = draw(st.sampled_from(["within_last", "not_within_last", "after"]))
        value = (
            "2026-04-30T12:00:00+00:00" if op == "after" else draw(st.sampled_from(["1d", "2w"]))
        )
        return {"field": field, "op": op, "value": value}
    vtype = FIELDS[field]
    op = draw(st.sampled_from(ops_for(vtype)))
    one = values_for(vtype)
    if op in ("exists", "not_exists"):
        return {"field": field, "op": op}
    if op in ("in", "not_in"):
        value = draw(st.lists(one, min_size=1, max_size=3))
    elif op == "between":
        low, high = sorted(draw(st.lists(one, min_size=2, max_size=2)))
        value = [low, high]
    elif op in ("within_last", "not_within_last"):
        value = draw(st.sampled_from(["1d", "31d", "1m", "1y"]))
    elif op in ("contains", "not_contains", "starts_with", "ends_with"):
        value = draw(st.sampled_from(["O", "ka", "sak", "大", "%", "_", "Osaka"]))
    else:
        value = draw(one)
    return {"field": field, "op": op, "value": value}


CONDITIONS = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, vtype in (("s_a", STRING), ("n_a", NUMBER), ("b_a", BOOLEAN), ("d_a", DATE)):
        choice = draw(st.sampled_from(["right", "right", "wrong", "absent"]))
        if choice == "right":
            doc[key] = draw(values_for(vtype))
        elif choice == "wrong":
            # A date key never holds another string: dates are checked when written (the
            # customers app refuses "2026-02-30" for a date attribute), so the SQL side
            # reads any string there as a date.
            wrong = [w for w in WRONG if not (vtype == DATE and isinstance(w, str))]
            doc[key] = draw(st.sampled_from(wrong))
    return doc


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    docs=st.lists(documents(), min_size=1, max_size=8),
    conditions=st.lists(CONDITIONS, min_size=1, max_size=8),
)
def test_sql_and_memory_select_the_same_documents(
    docs: list[dict[str, Any]], conditions: list[Any]
) -> None:
    workspace = Workspace.objects.create(slug=f"cond-sql-{next(_slugs)}", name="x")
    rows = OutboxEvent.objects.bulk_create(
        OutboxEvent(
            workspace=workspace,
            type=f"t{i % 3}",
            payload=doc,
            occurred_at=NOW - timedelta(days=i * 5, hours=i),
        )
        for i, doc in enumerate(docs)
    )
    for data in conditions:
        condition = parse(data, registry=REGISTRY)
        q = compile_condition(condition, workspace=workspace, scope="outbox_test", now=NOW)
        in_sql = set(
            OutboxEvent.objects.for_workspace(workspace).filter(q).values_list("pk", flat=True)
        )
        in_memory = {
            row.pk
            for row in rows
            if evaluate(
                condition,
                doc_context(
                    row.payload, NOW, type=row.type, occurred_at=row.occurred_at, attempts=0
                ),
            )
        }
        assert in_sql == in_memory, data
