"""Bulk inserts for the bulk paths (history, imports): `bulk_create` everywhere, and on
PostgreSQL the rows go through COPY, several times faster than multi-row INSERTs.

The primary keys are taken from the table's sequence first (one query), so the caller gets
its objects back with their keys, as `bulk_create` gives them, and can point other rows at
them; the values are converted by each field exactly as Django converts them for an INSERT,
so a row written by COPY is the row an INSERT would have written."""

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, Field, Model

_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BigIntegerField",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "BooleanField",
        "CharField",
        "SlugField",
        "TextField",
        "ForeignKey",
        "OneToOneField",
    }
)


# Below this many rows one multi-row INSERT costs less than COPY's two round trips (the keys
# from the sequence, then the COPY): the online writes (an order's few timeline rows) insert.
COPY_FROM_ROWS = 50


def _converter(field: Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """How a value of `field` goes to COPY: None when psycopg takes it as it is. A Decimal
    and an aware datetime are what the conversion for an INSERT returns on PostgreSQL, so
    they skip it; anything else converts as for an INSERT."""
    kind = field.get_internal_type()
    if kind in _AS_IS:
        return None
    prep = field.get_db_prep_save
    if kind == "DecimalField":
        return lambda value: value if type(value) is Decimal else prep(value, connection)
    if kind == "DateTimeField":
        return lambda value: (
            value
            if type(value) is datetime and value.tzinfo is not None
            else prep(value, connection)
        )
    return lambda value: prep(value, connection)


def bulk_insert[M: Model](objs: Sequence[M], batch_size: int = 1000) -> list[M]:
    """Insert `objs` (all of one model) and return them with their primary keys."""
    rows = list(objs)
    if not rows:
        return rows
    model = type(rows[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM_ROWS:
        return model._default_manager.db_manager(using).bulk_create(rows, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = list(meta.local_concrete_fields)
    converters = [_converter(f, connection) for f in fields]
    attnames = [f.attname for f in fields]
    # Rows pointed at objects saved before them carry their keys already; only a row
    # whose relation was set before its target had a key needs Django's preparation.
    relations = [f for f in fields if f.is_relation and f.many_to_one]
    with connection.cursor() as cursor:
        if isinstance(pk, AutoField):
            missing = [obj for obj in rows if obj.pk is None]
            if missing:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, pk.column, len(missing)],
                )
                for obj, (key,) in zip(missing, cursor.fetchall(), strict=True):
                    obj.pk = key
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in rows:
                if any(
                    getattr(obj, f.attname) is None and f.is_cached(obj)  # type: ignore[attr-defined]
                    for f in relations
                ):
                    obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
                copy.write_row(
                    [
                        value if convert is None else convert(value)
                        for convert, value in zip(
                            converters, [getattr(obj, name) for name in attnames], strict=True
                        )
                    ]
                )
    for obj in rows:
        obj._state.adding = False
        obj._state.db = using
    return rows
