"""Reads of the referrals app, always scoped by workspace."""

from django.db.models import Q, QuerySet

from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import keyset_page
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.models import Customer
from kizuna.customers.selectors import customer_id_of
from kizuna.referrals.models import Referral, ReferralProgram

ROLES = ("referrer", "referee")


def customer_of(workspace: Workspace, external_id: str) -> Customer:
    """The customer known as `external_id`, without the consents (404 when unknown)."""
    customer = one_or_none(
        Customer.objects.for_workspace(workspace).filter(external_id=external_id)
    )
    if customer is None:
        raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
    return customer


def list_programs(
    workspace: Workspace, *, cursor: str | None, limit: int | None
) -> tuple[list[ReferralProgram], str | None]:
    queryset: QuerySet[ReferralProgram] = ReferralProgram.objects.for_workspace(
        workspace
    ).select_related("loyalty_program")
    return keyset_page(queryset, fields=("id",), descending=True, cursor=cursor, limit=limit)


def list_referrals(
    workspace: Workspace,
    customer_id: str,
    *,
    role: str | None,
    status: str | None,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[Referral], str | None]:
    """The customer's referrals as referrer and as referee (or one `role`), newest first,
    rejected ones included."""
    pk = customer_id_of(workspace, customer_id)
    mine = {"referrer": Q(referrer_id=pk), "referee": Q(referee_id=pk)}
    condition = mine[role] if role else mine["referrer"] | mine["referee"]
    queryset: QuerySet[Referral] = (
        Referral.objects.for_workspace(workspace)
        .filter(condition)
        .select_related("program", "code", "referrer", "referee")
    )
    if status is not None:
        queryset = queryset.filter(status=status)
    return keyset_page(queryset, fields=("id",), descending=True, cursor=cursor, limit=limit)
