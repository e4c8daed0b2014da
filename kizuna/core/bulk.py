"""Bulk inserts for the bulk paths (history, imports): `bulk_create` everywhere, and on
PostgreSQL the rows go through COPY, several times faster than multi-row INSERTs.

The primary keys are taken from the table's sequence first (one query), so the caller gets
its objects back with their keys, as `bulk_create` gives them, and can point other rows at
them; the values are converted by each field exactly as Django converts them for an INSERT,
so a row written by COPY is the row an INSERT would have written."""

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, Model

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
    # Fields whose value psycopg takes as it is (the conversion for an INSERT returns it
    # unchanged on PostgreSQL); the others convert as for an INSERT.
    plain = [f.get_internal_type() in _AS_IS for f in fields]
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
                obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
                copy.write_row(
                    [
                        getattr(obj, f.attname)
                        if as_is
                        else f.get_db_prep_save(getattr(obj, f.attname), connection)
                        for f, as_is in zip(fields, plain, strict=True)
                    ]
                )
    for obj in rows:
        obj._state.adding = False
        obj._state.db = using
    return rows
