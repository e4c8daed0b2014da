"""The one way to insert a row that a unique constraint keeps single (an order's external_id,
a refund's, an event's client id, a customer's): insert it unless it is there, and otherwise
read the row that is.

`insert_once` sends one statement when the row is new (INSERT ... ON CONFLICT DO NOTHING
RETURNING the primary key), with no savepoint and no SELECT before it, and a SELECT only when
the row exists. A concurrent insert of the same key never fails: the database decides which
insert wins, and the other reads the winner's row once it has committed."""

from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_once[M: Model](obj: M, **natural_key: Any) -> tuple[M, bool]:
    """Insert `obj`, or find the row holding its natural key (`natural_key`, the columns of a
    unique constraint with their values). Returns (the inserted `obj`, True) or (the stored
    row, False). Call it inside a transaction."""
    model = type(obj)
    meta = model._meta
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    fields = [
        field
        for field in meta.local_concrete_fields
        if not (field is meta.auto_field and obj.pk is None)
    ]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        obj.pk = meta.pk.to_python(row[0])
        obj._state.adding = False
        obj._state.db = using
        return obj, True
    existing = model._default_manager.db_manager(using).get(**natural_key)
    return existing, False


def insert_new[M: Model](exists: Exception, obj: M, **natural_key: Any) -> M:
    """Insert `obj`, whose natural key must be new (a program's, a campaign's, a reward's id
    chosen by the client), or raise `exists` (their 409 `..._exists`) when a row holds it."""
    stored, created = insert_once(obj, **natural_key)
    if not created:
        raise exists
    return stored
