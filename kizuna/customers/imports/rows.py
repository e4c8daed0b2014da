"""The rows of a file: each parsed into the customer's fields and checked, then a batch
upserted through the bulk path (`process_many`), or one row in a savepoint (`process`, a
refused row leaves nothing behind); a refused row is rejected with its problems."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from openpyxl.utils import get_column_letter

from kizuna.core.errors import KizunaError
from kizuna.core.ids import EXTERNAL_ID_RULE, is_external_id, normalize_id
from kizuna.core.imports.readers import Cells, FileFormat, SheetError, is_blank
from kizuna.core.models import Workspace
from kizuna.core.text import UNSTORABLE
from kizuna.customers.imports.columns import (
    CONSENT_PREFIX,
    TEXT_LIMITS,
    CellProblem,
    Column,
    as_date,
    as_text,
    consent_status,
    inferred_attribute,
    typed_attribute,
    unguard,
)
from kizuna.customers.models import AttributeDefinition, CustomerImport
from kizuna.customers.services.bulk_profiles import BulkUpsert, Conflict
from kizuna.customers.services.profiles import upsert_customer

# Only so many row errors are stored with a run; the counts stay exact beyond it.
MAX_REPORTED_ERRORS = 1_000


# ------------------------------------------------------------------ import


@dataclass
class ParsedRow:
    external_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _service_field(name: str | None) -> str | None:
    """The column a service error points at (services name fields as the JSON API does)."""
    if name in {"customer_id", "external_id"}:
        return "external_id"
    if name and name.startswith(CONSENT_PREFIX) and name.endswith(".status"):
        return name.removesuffix(".status")
    return name


def _problem(exc: KizunaError) -> dict[str, Any]:
    return {"field": _service_field(exc.field), "code": exc.code, "message": exc.message}


# Rows go through the bulk path (`process_many`); False runs them one by one, as the bulk
# path must match (its tests compare the two).
BULK = True
_COUNTS = (
    "processed_rows",
    "created_count",
    "updated_count",
    "unchanged_count",
    "rejected_count",
)


class RowImporter:
    def __init__(
        self,
        workspace: Workspace,
        run: CustomerImport,
        columns: list[Column],
        file_format: FileFormat,
        progress: Callable[[CustomerImport], None] | None,
        progress_every: int,
    ) -> None:
        self.workspace = workspace
        self.run = run
        self.columns = columns
        self.positions = {column.position for column in columns}
        self.id_position = next(
            c.position for c in columns if c.kind == "profile" and c.key == "external_id"
        )
        self.from_csv = file_format is FileFormat.CSV
        self.progress = progress
        self.progress_every = max(1, progress_every)
        self.definitions: dict[str, str] = dict(
            AttributeDefinition.objects.for_workspace(workspace).values_list("key", "type")
        )
        self.first_row_of: dict[str, int] = {}

    # -------------------------------------------------------------- one row

    def parse(self, number: int, cells: Cells) -> ParsedRow:
        row = ParsedRow()
        attributes: dict[str, Any] = {}
        consents: dict[str, dict[str, Any]] = {}

        def problem(name: str | None, code: str, message: str) -> None:
            row.problems.append({"field": name, "code": code, "message": message})

        for position, value in enumerate(cells):
            if position not in self.positions and not is_blank(value):
                problem(
                    None,
                    "value_without_column",
                    f"Column {get_column_letter(position + 1)} has no header, but this row has "
                    f"a value there ({as_text(value)[:40]!r}).",
                )
        for column in self.columns:
            value = cells[column.position] if column.position < len(cells) else None
            if isinstance(value, str) and self.from_csv:
                value = unguard(value)
            if is_blank(value):
                continue
            if isinstance(value, SheetError):
                problem(column.field, "invalid_value", f"The cell holds the error {value}.")
                continue
            if isinstance(value, str) and UNSTORABLE.search(value):
                problem(
                    column.field,
                    "invalid_character",
                    "The cell holds a character no text can store (NUL or a lone surrogate).",
                )
                continue
            try:
                if column.kind == "profile" and column.key == "birthdate":
                    row.data["birthdate"] = as_date(value, "birthdate")
                elif column.kind == "profile":
                    text = as_text(value).strip()
                    limit = TEXT_LIMITS[column.key]
                    if len(text) > limit:
                        raise CellProblem("too_long", f"At most {limit} characters.")
                    if column.key == "external_id":
                        row.external_id = normalize_id(text)
                    else:
                        row.data[column.key] = text
                elif column.kind == "attribute":
                    declared = self.definitions.get(column.key)
                    attributes[column.key] = (
                        inferred_attribute(value)
                        if declared is None
                        else typed_attribute(column.key, value, declared)
                    )
                else:
                    consents[column.key] = {"status": consent_status(value)}
            except CellProblem as exc:
                problem(column.field, exc.code, exc.message)
        if attributes:
            row.data["attributes"] = attributes
        if consents:
            row.data["consents"] = consents
        if not row.external_id:
            if not any(p["field"] == "external_id" for p in row.problems):
                problem("external_id", "required", "Every row needs the customer's external_id.")
        elif not is_external_id(row.external_id):
            problem(
                "external_id",
                "invalid_external_id",
                f"Ids are {EXTERNAL_ID_RULE}.",
            )
        elif row.external_id in self.first_row_of:
            problem(
                "external_id",
                "duplicate_external_id",
                f"external_id {row.external_id!r} is also on row "
                f"{self.first_row_of[row.external_id]}; a customer appears once per file.",
            )
        else:
            self.first_row_of[row.external_id] = number
        return row

    def process(self, number: int, cells: Cells) -> None:
        row = self.parse(number, cells)
        run = self.run
        if row.problems:
            self.reject(number, row.external_id, row.problems)
        else:
            try:
                with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                    _, created, changed = upsert_customer(
                        self.workspace, row.external_id, row.data, source="import"
                    )
            except KizunaError as exc:
                self.reject(number, row.external_id, [_problem(exc)])
            else:
                if created:
                    run.created_count += 1
                elif changed:
                    run.updated_count += 1
                else:
                    run.unchanged_count += 1
                self._learn_definitions(row.data.get("attributes", {}))
        run.processed_rows += 1
        if self.progress is not None and run.processed_rows % self.progress_every == 0:
            self.progress(run)

    def process_many(self, rows: list[tuple[int, Cells]]) -> None:
        """Import a batch of rows through the bulk path (`BulkUpsert`): the same rules,
        results and errors as `process` row by row, in a few statements. Should the database
        disagree with what the batch decided, the batch runs again row by row."""
        if not BULK or not rows:
            for row in rows:
                self.process(*row)
            return
        run = self.run
        saved = (
            dict(self.first_row_of),
            dict(self.definitions),
            [getattr(run, name) for name in _COUNTS],
            list(run.errors),
            run.errors_truncated,
        )
        try:
            with transaction.atomic():  # a savepoint: a conflict leaves nothing behind
                self._bulk(rows)
        except (Conflict, IntegrityError):
            self.first_row_of, definitions, counts, run.errors, run.errors_truncated = saved
            self.definitions.clear()
            self.definitions.update(definitions)
            for name, value in zip(_COUNTS, counts, strict=True):
                setattr(run, name, value)
            for row in rows:
                self.process(*row)

    def _peek_id(self, cells: Cells) -> str:
        value = cells[self.id_position] if self.id_position < len(cells) else None
        if is_blank(value):
            return ""
        text = as_text(value).strip()
        return unguard(text) if self.from_csv else text

    def _bulk(self, rows: list[tuple[int, Cells]]) -> None:
        run = self.run
        upsert = BulkUpsert(
            self.workspace, [self._peek_id(cells) for _, cells in rows], "import", self.definitions
        )
        for number, cells in rows:
            row = self.parse(number, cells)
            if row.problems:
                self.reject(number, row.external_id, row.problems)
            else:
                try:
                    created, changed = upsert.add(row.external_id, row.data)
                except KizunaError as exc:
                    self.reject(number, row.external_id, [_problem(exc)])
                else:
                    if created:
                        run.created_count += 1
                    elif changed:
                        run.updated_count += 1
                    else:
                        run.unchanged_count += 1
            run.processed_rows += 1
            if self.progress is not None and run.processed_rows % self.progress_every == 0:
                self.progress(run)
        upsert.write()

    def _learn_definitions(self, attributes: dict[str, Any]) -> None:
        """Attributes this row defined: later rows parse their cells to that type."""
        new = [key for key in attributes if key not in self.definitions]
        if new:
            self.definitions.update(
                AttributeDefinition.objects.for_workspace(self.workspace)
                .filter(key__in=new)
                .values_list("key", "type")
            )

    def reject(self, number: int, external_id: str, problems: list[dict[str, Any]]) -> None:
        run = self.run
        run.rejected_count += 1
        for item in problems:
            if len(run.errors) >= MAX_REPORTED_ERRORS:
                run.errors_truncated = True
                break
            run.errors.append({"row": number, "external_id": external_id or None, **item})
