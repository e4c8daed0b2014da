"""Orders from a file (`POST /orders/import`, ADR 0023): each row is the body of
`POST /orders`, checked by the same schema and `check_order`, and written through the bulk
path. Registered with the shared import runner from `OrdersConfig.ready()`."""

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from kizuna.core.errors import KizunaError
from kizuna.core.imports.kinds import CREATED, UNCHANGED, ImportKind, RowResult, rejected
from kizuna.core.models import Workspace
from kizuna.core.validation import plain_model, validation_details
from kizuna.orders.schemas import OrderIn
from kizuna.orders.services.ingest import ingest_orders
from kizuna.orders.services.orders import CheckedOrder, check_order

# OrderIn's rules, without ninja's second validation of each body (see `plain_model`).
ROW = plain_model(OrderIn)


def problem_of(exc: KizunaError) -> dict[str, Any]:
    return {"field": exc.field, "code": exc.code, "message": exc.message}


def ingest(
    workspace: Workspace, rows: Sequence[tuple[int, dict[str, Any]]], options: dict[str, Any]
) -> list[RowResult]:
    results: list[RowResult | None] = []
    checked: list[CheckedOrder] = []
    for _, body in rows:
        try:
            payload = ROW.model_validate(body)
            checked.append(check_order(payload.model_dump(exclude_unset=True)))
            results.append(None)
        except ValidationError as exc:
            results.append(rejected(*validation_details([dict(e) for e in exc.errors()], body)))
        except KizunaError as exc:
            results.append(rejected(problem_of(exc)))
    written = iter(ingest_orders(workspace, checked, emit_events=bool(options.get("emit_events"))))
    out = []
    for result in results:
        if result is None:
            outcome = next(written)
            if isinstance(outcome, KizunaError):
                result = rejected(problem_of(outcome))
            else:
                result = CREATED if outcome == "created" else UNCHANGED
        out.append(result)
    return out


KIND = ImportKind(
    name="orders",
    id_field="external_id",
    columns=frozenset(OrderIn.model_fields),
    json_columns=frozenset({"items", "metadata"}),
    ingest=ingest,
)
