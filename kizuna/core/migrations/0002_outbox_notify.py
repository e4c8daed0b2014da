"""On PostgreSQL, every statement that inserts outbox events notifies the channel
kizuna_outbox when its transaction commits, so that the dispatcher wakes at once
(kizuna.core.dispatcher). Other databases have no such notification; the dispatcher polls."""

from typing import Any

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kizuna_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('kizuna_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER kizuna_outbox_notify AFTER INSERT ON core_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION kizuna_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS kizuna_outbox_notify ON core_outboxevent;
DROP FUNCTION IF EXISTS kizuna_outbox_notify();
"""


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
