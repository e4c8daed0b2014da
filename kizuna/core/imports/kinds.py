"""Kinds of bulk import (orders, events): each app registers the facts it can take from a
file, and how to write a batch of them through its own bulk path (ADR 0023)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kizuna.core.models import Workspace

Problem = dict[str, Any]  # {"field": "items[0].quantity" | None, "code": ..., "message": ...}


@dataclass(frozen=True)
class RowResult:
    outcome: Literal["created", "unchanged", "rejected"]
    problems: Sequence[Problem] = ()


CREATED = RowResult("created")
UNCHANGED = RowResult("unchanged")


def rejected(*problems: Problem) -> RowResult:
    return RowResult("rejected", list(problems))


# Writes one batch: (workspace, [(row number, the row's body as the single endpoint takes
# it)], the run's options) -> one result per row, in order. Rows it refuses are rejected
# with their problems; an exception rolls the whole batch back.
Ingest = Callable[
    [Workspace, Sequence[tuple[int, dict[str, Any]]], dict[str, Any]], list[RowResult]
]


@dataclass(frozen=True)
class ImportKind:
    name: str  # "orders": the URL's noun and BulkImport.kind
    id_field: str  # the body's field that identifies a row's fact: external_id, id
    columns: frozenset[str]  # the body's fields: the columns a CSV or XLSX header may name
    json_columns: frozenset[str]  # columns whose cells hold JSON (items, metadata...)
    ingest: Ingest
    options: frozenset[str] = field(default_factory=lambda: frozenset({"emit_events"}))


KINDS: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> ImportKind:
    if KINDS.get(kind.name, kind) != kind:
        raise RuntimeError(f"Import kind {kind.name} is registered twice.")
    KINDS[kind.name] = kind
    return kind
