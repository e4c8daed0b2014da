"""Reading one key of a JSON column in SQL, alike on PostgreSQL and SQLite.

`JsonKind` names the JSON type of the value at the key: 'string', 'number', 'true', 'false',
'null', 'object', 'array', or '' when the key is absent; it is never NULL, so a presence test
built on it is never NULL either. `JsonText` and `JsonNumber` read the value as text or as a
number, NULL unless the value is of that kind (a CASE guards the cast: PostgreSQL would
otherwise fail on a string it cannot cast, whatever the rest of the WHERE says)."""

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, DecimalField, Expression, F, Func, TextField
from django.db.models.sql.compiler import SQLCompiler

# The keys these functions read: attribute names, metadata and property keys. Nothing that
# could close the quotes of a SQLite JSON path.
JSON_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}")


class _JsonKey(Func):
    """A JSON column and one top-level key (attribute names are plain identifiers)."""

    arity = 1

    def __init__(self, column: Expression | str, key: str, **extra: Any) -> None:
        if not JSON_KEY.fullmatch(key):
            raise ValueError(f"{key!r} is not a JSON key these functions read.")
        source = F(column) if isinstance(column, str) else column
        super().__init__(source, **extra)
        self.key = key

    def _column(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return sql, list(params)

    def _sqlite_path(self) -> str:
        return f'$."{self.key}"'


class JsonKind(_JsonKey):
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        sql = (
            f"COALESCE(CASE jsonb_typeof({col} -> %s) WHEN 'boolean' THEN ({col} ->> %s) "
            f"ELSE jsonb_typeof({col} -> %s) END, '')"
        )
        return sql, [*params, self.key, *params, self.key, *params, self.key]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        path = self._sqlite_path()
        sql = (
            f"COALESCE(CASE json_type({col}, %s) WHEN 'text' THEN 'string' "
            f"WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' "
            f"ELSE json_type({col}, %s) END, '')"
        )
        return sql, [*params, path, *params, path]


class JsonText(_JsonKey):
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        sql = f"(CASE WHEN jsonb_typeof({col} -> %s) = 'string' THEN ({col} ->> %s) END)"
        return sql, [*params, self.key, *params, self.key]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        path = self._sqlite_path()
        sql = f"(CASE WHEN json_type({col}, %s) = 'text' THEN json_extract({col}, %s) END)"
        return sql, [*params, path, *params, path]


class JsonNumber(_JsonKey):
    output_field = DecimalField(max_digits=40, decimal_places=20)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        sql = f"(CASE WHEN jsonb_typeof({col} -> %s) = 'number' THEN ({col} ->> %s)::numeric END)"
        return sql, [*params, self.key, *params, self.key]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        path = self._sqlite_path()
        # CAST gives the expression NUMERIC affinity, so a decimal parameter (which Django
        # sends to SQLite as text) is compared as a number.
        sql = (
            f"CAST(CASE WHEN json_type({col}, %s) IN ('integer', 'real') "
            f"THEN json_extract({col}, %s) END AS NUMERIC)"
        )
        return sql, [*params, path, *params, path]


class JsonIn(_JsonKey):
    """PostgreSQL only: the value at the key equals one of `values`, exactly in type (the
    string "5" is not the number 5), never NULL. Strings are compared as text, `->>` being
    cheaper than jsonb equality, and only a match pays for the type check; numbers and
    booleans by jsonb equality (30 equals 30.0). On SQLite the leaf compiles through
    JsonKind and JsonText instead."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: Expression | str, key: str, values: list[Any], *, text: bool):
        super().__init__(column, key)
        self.values = values
        self.text = text

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        col, params = self._column(compiler, connection)
        if self.text:
            sql = (
                f"(CASE WHEN ({col} ->> %s) = ANY(%s::text[]) "
                f"THEN jsonb_typeof({col} -> %s) = 'string' ELSE false END)"
            )
            return sql, [*params, self.key, self.values, *params, self.key]
        values = [json_text(v) for v in self.values]
        return f"COALESCE(({col} -> %s) = ANY(%s::jsonb[]), false)", [*params, self.key, values]


def json_text(value: Any) -> str:
    """The JSON text of a condition value, for JsonIn."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False)
