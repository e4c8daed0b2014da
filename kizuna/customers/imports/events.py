"""Custom events from a file (`POST /events/import`, ADR 0023): each row is the body of
`POST /events`, checked by the same schema and rules, and written through the bulk path.
Registered with the shared import runner from `CustomersConfig.ready()`."""

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from kizuna.core.errors import KizunaError
from kizuna.core.imports.kinds import CREATED, UNCHANGED, ImportKind, RowResult, rejected
from kizuna.core.models import Workspace
from kizuna.core.validation import plain_model, validation_details
from kizuna.customers.schemas import EventIn
from kizuna.customers.services.ingest import ingest_events

# EventIn's rules, without ninja's second validation of each body (see `plain_model`).
ROW = plain_model(EventIn)


def ingest(
    workspace: Workspace, rows: Sequence[tuple[int, dict[str, Any]]], options: dict[str, Any]
) -> list[RowResult]:
    results: list[RowResult | None] = []
    bodies: list[dict[str, Any]] = []
    for _, body in rows:
        try:
            bodies.append(ROW.model_validate(body).model_dump(exclude_unset=True))
            results.append(None)
        except ValidationError as exc:
            results.append(rejected(*validation_details([dict(e) for e in exc.errors()], body)))
    written = iter(ingest_events(workspace, bodies, emit_events=bool(options.get("emit_events"))))
    out = []
    for result in results:
        if result is None:
            outcome = next(written)
            if isinstance(outcome, KizunaError):
                result = rejected(
                    {"field": outcome.field, "code": outcome.code, "message": outcome.message}
                )
            else:
                result = CREATED if outcome == "created" else UNCHANGED
        out.append(result)
    return out


KIND = ImportKind(
    name="events",
    id_field="id",
    columns=frozenset(EventIn.model_fields),
    json_columns=frozenset({"properties"}),
    ingest=ingest,
)
