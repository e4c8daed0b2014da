"""Customer export as CSV (UTF-8) or XLSX, with the columns an import takes, so that an
exported file imports back with every row unchanged. The customers are read in chunks and
written as they are read, so memory stays flat."""

from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date

from kizuna.core.clock import now
from kizuna.core.imports.readers import CONTENT_TYPES, FileFormat
from kizuna.core.models import Workspace
from kizuna.core.tables import csv_stream, xlsx_stream
from kizuna.customers import selectors
from kizuna.customers.imports.columns import (
    ATTRIBUTE_PREFIX,
    CONSENT_PREFIX,
    PROFILE_COLUMNS,
    as_text,
    guard,
)
from kizuna.customers.models import AttributeType, ConsentChannel, Customer

EXPORT_CHUNK = 1_000


@dataclass
class CustomerExport:
    """A file being produced: iterate `chunks` for its bytes; `rows` counts the customers
    written so far."""

    file_format: FileFormat
    filename: str
    content_type: str
    rows: int = 0
    chunks: Iterator[bytes] = field(default_factory=lambda: iter(()))


@dataclass(frozen=True)
class _Layout:
    attribute_keys: list[str]
    attribute_types: dict[str, str]

    @property
    def header(self) -> list[str]:
        return [
            *PROFILE_COLUMNS,
            *(ATTRIBUTE_PREFIX + key for key in self.attribute_keys),
            *(CONSENT_PREFIX + channel for channel in ConsentChannel.values),
        ]

    def values(self, customer: Customer) -> list[object]:
        consents = {consent.channel: consent.status for consent in customer.consents.all()}
        return [
            customer.external_id,
            customer.email,
            customer.phone,
            customer.first_name,
            customer.last_name,
            customer.birthdate,
            customer.locale,
            customer.timezone,
            *(customer.attributes.get(key) for key in self.attribute_keys),
            *(consents.get(channel) for channel in ConsentChannel.values),
        ]


def _layout(workspace: Workspace) -> _Layout:
    definitions = selectors.attribute_definitions(workspace)
    return _Layout(
        attribute_keys=[d.key for d in definitions],
        attribute_types={d.key: d.type for d in definitions},
    )


def _customer_batches(workspace: Workspace) -> Iterator[list[Customer]]:
    """Every customer of the workspace (except the erased ones, ADR 0012), EXPORT_CHUNK at a
    time (keyset on the id)."""
    last = 0
    while True:
        batch = list(
            selectors.listed_customers(workspace).filter(pk__gt=last).order_by("pk")[:EXPORT_CHUNK]
        )
        if not batch:
            return
        yield batch
        if len(batch) < EXPORT_CHUNK:
            return
        last = batch[-1].pk


def _csv_text(value: object) -> str:
    return guard(value) if isinstance(value, str) else as_text(value)


def _rows(
    workspace: Workspace, export: CustomerExport, values: Callable[[Customer], list[object]]
) -> Iterator[list[list[object]]]:
    for batch in _customer_batches(workspace):
        export.rows += len(batch)
        yield [values(customer) for customer in batch]


def _csv_chunks(workspace: Workspace, layout: _Layout, export: CustomerExport) -> Iterator[bytes]:
    return csv_stream(layout.header, _rows(workspace, export, layout.values), _csv_text)


def _xlsx_values(layout: _Layout, customer: Customer) -> list[object]:
    values = layout.values(customer)
    offset = len(PROFILE_COLUMNS)
    for i, key in enumerate(layout.attribute_keys):
        value = values[offset + i]
        if layout.attribute_types[key] == AttributeType.DATE and isinstance(value, str):
            with suppress(ValueError):  # otherwise written as text
                values[offset + i] = date.fromisoformat(value)
    return values


def _xlsx_chunks(workspace: Workspace, layout: _Layout, export: CustomerExport) -> Iterator[bytes]:
    rows = _rows(workspace, export, lambda customer: _xlsx_values(layout, customer))
    return xlsx_stream("customers", layout.header, rows)


def export_customers(workspace: Workspace, file_format: str = FileFormat.CSV) -> CustomerExport:
    """All the workspace's customers (not the erased ones), with the columns an import
    takes. The file is produced while `chunks` is iterated."""
    kind = FileFormat(file_format)
    layout = _layout(workspace)
    export = CustomerExport(
        file_format=kind,
        filename=f"customers-{workspace.slug}-{now():%Y%m%d}.{kind}",
        content_type=CONTENT_TYPES[kind],
    )
    make = _xlsx_chunks if kind is FileFormat.XLSX else _csv_chunks
    export.chunks = make(workspace, layout, export)
    return export
