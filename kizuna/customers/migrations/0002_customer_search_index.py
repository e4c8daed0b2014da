"""On PostgreSQL, a trigram index on the text customer search looks in (the expression of
kizuna.customers.selectors.SearchText, written the same way), so that `GET /customers?q=`
reads the index instead of every customer. Needs the pg_trgm extension, which a database
owner may create (it is a trusted extension). Other databases scan, as before."""

from typing import Any

from django.db import migrations

SEARCH_TEXT = (
    "UPPER(external_id || ' ' || email || ' ' || phone || ' ' || first_name || ' ' || "
    "last_name || ' ' || last_name || first_name || ' ' || first_name || last_name)"
)
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer "
    f"USING gin (({SEARCH_TEXT}) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS customer_search_trgm"]


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
