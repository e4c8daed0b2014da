"""Inserting many codes at once: one statement per batch that skips the codes the workspace
holds already (the unique index on the normalized code decides, so a code drawn or imported
at the same moment by another run is never stored twice) and returns the codes it stored."""

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field

from kizuna.core.clock import now
from kizuna.vouchers.models import Voucher

_COLUMNS = ("workspace", "campaign", "code", "customer", "max_uses", "uses", "held", "source")


def _column(name: str) -> str:
    field = Voucher._meta.get_field(name)
    assert isinstance(field, Field) and field.column is not None
    return connection.ops.quote_name(field.column)


def insert_codes(
    *,
    workspace_id: int,
    campaign_id: int,
    max_uses: int | None,
    source: str,
    rows: Sequence[tuple[str, int | None]],
) -> set[str]:
    """Insert (normalized code, customer pk or None) rows; the codes that were new."""
    if not rows:
        return set()
    table = connection.ops.quote_name(Voucher._meta.db_table)
    columns = ", ".join([*(_column(name) for name in _COLUMNS), _column("created_at")])
    constants = [workspace_id, campaign_id, max_uses, 0, 0, source, now()]
    if connection.vendor == "postgresql":
        source_rows = "unnest(%s::text[], %s::bigint[]) AS t(code, customer_id)"
        values = "%s, %s, t.code, t.customer_id, %s, %s, %s, %s, %s"
        params = [
            [code for code, _ in rows],
            [customer for _, customer in rows],
        ]
        sql_params: list[Any] = [*constants, *params]
    else:
        source_rows = "json_each(%s) AS t"
        values = (
            "%s, %s, json_extract(t.value, '$[0]'), json_extract(t.value, '$[1]'), "
            "%s, %s, %s, %s, %s"
        )
        sql_params = [*constants, json.dumps([list(row) for row in rows])]
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {values} FROM {source_rows} "  # noqa: S608
        # WHERE true: SQLite would read ON CONFLICT as the join's ON otherwise.
        f"WHERE true ON CONFLICT DO NOTHING RETURNING {_column('code')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        return {row[0] for row in cursor.fetchall()}
