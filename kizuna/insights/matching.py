"""Which customers a segment's condition selects: the one place that parses a segment's
condition (customer fields only) and compiles it over the workspace's customers, used by the
services (refresh) and the selectors (preview, members)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection
from django.db.models import QuerySet

from kizuna.core.clock import now
from kizuna.core.conditions import Condition, compile_condition, parse
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.selectors import listed_customers

SEGMENT_SUBJECTS = frozenset({"customer"})


def check_condition(workspace: Workspace, data: Any, field: str = "condition") -> Condition:
    """A segment's condition: valid, over customer fields only (422 invalid_condition
    naming the path of the fault, prefixed with `field`)."""
    return parse(
        data, workspace=workspace, subjects=SEGMENT_SUBJECTS, root=field, usage="a segment"
    )


def workspace_tz(workspace: Workspace) -> Any:
    try:
        return ZoneInfo(workspace.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def matching_customers(
    workspace: Workspace, condition_data: Any, *, moment: datetime | None = None
) -> QuerySet[Customer]:
    """The customers a segment's condition selects at `moment` (now by default)."""
    condition = check_condition(workspace, condition_data)
    q = compile_condition(
        condition, workspace=workspace, now=moment or now(), tz=workspace_tz(workspace)
    )
    # Erased customers keep the books only (ADR 0012): they belong to no segment.
    return listed_customers(workspace).prefetch_related(None).filter(q)


def analytic_session() -> None:
    """Settings for the set queries of segments, for this transaction only, on PostgreSQL:
    room to hash the sets they compare (the default work_mem of 4 MB spills a grouping of
    a few hundred thousand customers to disk), and no JIT compilation, which costs more
    than it saves on queries of a second or less."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
