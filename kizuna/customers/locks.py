"""Row locks of the customers app. Every `select_for_update` of its services goes through
these helpers, and rows of one kind are locked in primary-key order, so that two
transactions never wait on each other in opposite orders. The order across apps is in
docs/concepts.md (Locking): a customer before its orders, orders before loyalty accounts."""

from django.db.models import QuerySet

from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer, CustomerImport


def lock_customer(workspace: Workspace, external_id: str) -> Customer | None:
    """The customer, locked FOR UPDATE (a profile change), or None."""
    return one_or_none(
        Customer.objects.for_workspace(workspace)
        .select_for_update()
        .filter(external_id=external_id)
    )


def lock_customer_for_facts(workspace: Workspace, external_id: str) -> Customer | None:
    """The customer, locked FOR NO KEY UPDATE, or None: orders and events of one customer
    take it in turn, and an erasure (which takes the same lock) never runs between their read
    of the customer and their insert. Refunds and status changes, which only reference the
    row, do not wait on it."""
    return one_or_none(
        Customer.objects.for_workspace(workspace)
        .select_for_update(no_key=True)
        .filter(external_id=external_id)
    )


def lock_customers(queryset: QuerySet[Customer]) -> list[Customer]:
    """The customers of `queryset`, locked FOR UPDATE in primary-key order."""
    return list(queryset.select_for_update().order_by("pk"))


def lock_import_state(import_id: int) -> tuple[str, int] | None:
    """The (status, processed_rows) of an import run, its row locked: one process at a time
    moves a run on."""
    state: tuple[str, int] | None = (
        CustomerImport.objects.select_for_update()
        .filter(pk=import_id)
        .values_list("status", "processed_rows")
        .first()
    )
    return state


def lock_customers_for_facts(workspace: Workspace, external_ids: list[str]) -> list[Customer]:
    """The customers with these ids, locked FOR NO KEY UPDATE in primary-key order (a batch
    of imported orders or events, as `lock_customer_for_facts` locks one)."""
    return list(
        Customer.objects.for_workspace(workspace)
        .select_for_update(no_key=True)
        .filter(external_id__in=external_ids)
        .order_by("pk")
    )
