"""A small registry of test fields over the core's own `OutboxEvent` table, so that the
condition language is tested without any domain app: `doc.<key>` reads the event's JSON
payload (typed by the key's name: `doc.s_*` string, `doc.n_*` number, `doc.b_*` boolean,
`doc.d_*` date), `event.type` and `event.occurred_at` read columns."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.db.models.lookups import Exact, In

from kizuna.core.conditions import (
    BOOLEAN,
    DATE,
    DATETIME_TYPE,
    MISSING,
    NUMBER,
    STRING,
    TRUE,
    WITHIN,
    Context,
    FieldFamily,
    FieldSpec,
    JsonKind,
    JsonNumber,
    JsonText,
    Leaf,
    Registry,
    Resolution,
    SqlContext,
    ValueType,
    number_value,
    parse_date,
    register_scope,
    scalar_q,
)

register_scope("outbox_test", {"doc": ""})

_PREFIX_TYPES = {"s_": STRING, "n_": NUMBER, "b_": BOOLEAN, "d_": DATE}


def _doc_value(vtype: ValueType, raw: Any) -> Any:
    if vtype == STRING:
        return raw if isinstance(raw, str) else MISSING
    if vtype == NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return MISSING
        return number_value(raw)
    if vtype == BOOLEAN:
        return raw if isinstance(raw, bool) else MISSING
    if vtype == DATE:
        value = parse_date(raw) if isinstance(raw, str) else None
        return MISSING if value is None else value
    raise AssertionError(vtype)


def _doc_field(key: str, vtype: ValueType) -> FieldSpec:
    def in_memory(leaf: Leaf) -> Any:
        def get(ctx: Context) -> Any:
            doc = ctx.get("doc")
            if doc is MISSING:
                return MISSING
            return _doc_value(vtype, doc["payload"].get(key, MISSING))

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        kind = JsonKind("payload", key)
        if vtype == BOOLEAN:
            present = Q(In(kind, ["true", "false"]))
            return scalar_q(leaf, ctx, kind, present, param=lambda v: "true" if v else "false")
        if vtype == NUMBER:
            return scalar_q(leaf, ctx, JsonNumber("payload", key), Q(Exact(kind, "number")))
        param = (lambda v: v.isoformat()) if vtype == DATE else None
        return scalar_q(leaf, ctx, JsonText("payload", key), Q(Exact(kind, "string")), param=param)

    return FieldSpec(
        name=f"doc.{key}",
        type=vtype,
        subject="doc",
        description=f"Payload key {key}.",
        example={"field": f"doc.{key}", "op": "exists"},
        in_memory=in_memory,
        in_sql=in_sql,
    )


def _resolve(parameter: str, resolution: Resolution) -> FieldSpec | None:
    vtype = _PREFIX_TYPES.get(parameter[:2])
    return _doc_field(parameter, vtype) if vtype is not None else None


def _column(name: str, vtype: ValueType, column: str) -> FieldSpec:
    def in_memory(leaf: Leaf) -> Any:
        def get(ctx: Context) -> Any:
            doc = ctx.get("doc")
            return MISSING if doc is MISSING else doc[column]

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        return scalar_q(leaf, ctx, column, TRUE)

    return FieldSpec(
        name=name,
        type=vtype,
        subject="doc",
        description=f"The {column} column.",
        example={"field": name, "op": "exists"},
        in_memory=in_memory,
        in_sql=in_sql,
        extras=(WITHIN,) if name == "event.windowed" else (),
    )


def make_registry() -> Registry:
    registry = Registry()
    registry.register(_column("event.type", STRING, "type"))
    registry.register(_column("event.occurred_at", DATETIME_TYPE, "occurred_at"))
    registry.register(_column("event.windowed", NUMBER, "attempts"))
    registry.register(
        FieldSpec(
            name="event.status",
            type=STRING,
            subject="doc",
            description="A field with fixed values.",
            example={"field": "event.status", "op": "eq", "value": "sent"},
            in_memory=lambda leaf: lambda ctx: ctx.get("doc")["status"],
            choices=("sent", "failed"),
        )
    )
    registry.register(
        FieldSpec(
            name="other.flag",
            type=BOOLEAN,
            subject="other",
            description="A field of another subject, with no SQL.",
            example={"field": "other.flag", "op": "eq", "value": True},
            in_memory=lambda leaf: lambda ctx: ctx.get("other"),
        )
    )
    registry.register_family(
        FieldFamily(
            prefix="doc.",
            placeholder="<key>",
            subject="doc",
            description="A payload key; its type from its prefix.",
            resolve=_resolve,
            listing=lambda resolution: [_doc_field("s_name", STRING)],
            unknown="No payload key {name!r}.",
        )
    )
    return registry


def doc_context(payload: Mapping[str, Any], now: datetime, **columns: Any) -> Context:
    return Context(now=now, doc={"payload": dict(payload), **columns})
