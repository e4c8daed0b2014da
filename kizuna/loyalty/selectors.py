"""Reads of the loyalty app. Every query is scoped by the workspace."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum

from kizuna.core.models import Workspace
from kizuna.core.pagination import keyset_page
from kizuna.customers.selectors import customer_id_of
from kizuna.loyalty.errors import NotAMember
from kizuna.loyalty.models import (
    Account,
    EarningRule,
    LedgerEntry,
    Milestone,
    PointLot,
    Program,
    Tier,
)
from kizuna.loyalty.services import milestones, tiers
from kizuna.loyalty.services.programs import get_program

EXPIRING_SHOWN = 5


def list_programs(
    workspace: Workspace, *, cursor: str | None, limit: int | None
) -> tuple[list[Program], str | None]:
    return keyset_page(
        Program.objects.for_workspace(workspace),
        fields=("id",),
        descending=False,
        cursor=cursor,
        limit=limit,
    )


def list_rules(
    workspace: Workspace, program_key: str, *, cursor: str | None, limit: int | None
) -> tuple[list[EarningRule], str | None]:
    program = get_program(workspace, program_key)
    rules = EarningRule.objects.filter(program=program, deleted_at__isnull=True).select_related(
        "program"
    )
    return keyset_page(rules, fields=("id",), descending=False, cursor=cursor, limit=limit)


def list_tiers(workspace: Workspace, program_key: str) -> list[Tier]:
    program = get_program(workspace, program_key)
    return list(Tier.objects.filter(program=program).select_related("program").order_by("rank"))


def list_milestones(workspace: Workspace, program_key: str) -> list[Milestone]:
    program = get_program(workspace, program_key)
    return list(Milestone.objects.filter(program=program).select_related("program").order_by("key"))


def list_members(
    workspace: Workspace, program_key: str, *, cursor: str | None, limit: int | None
) -> tuple[list[Account], str | None]:
    program = get_program(workspace, program_key)
    accounts = Account.objects.filter(program=program).select_related("program", "customer", "tier")
    return keyset_page(accounts, fields=("id",), descending=False, cursor=cursor, limit=limit)


@dataclass(frozen=True)
class MemberView:
    """A member's standing in one program, as GET /customers/{id}/loyalty shows it."""

    account: Account
    expiring: list[dict[str, Any]]
    tier: dict[str, Any] | None
    milestones: list[dict[str, Any]]
    badges: list[dict[str, Any]]


def loyalty_of(workspace: Workspace, customer_id: str) -> list[MemberView]:
    customer_pk = customer_id_of(workspace, customer_id)
    views = []
    accounts = (
        Account.objects.for_workspace(workspace)
        .filter(customer_id=customer_pk)
        .select_related("program", "tier")
    )
    for account in accounts.order_by("program_id"):
        program = account.program
        expiring = [
            {"points": row["points"], "expires_at": row["expires_at"]}
            for row in PointLot.objects.filter(
                account=account, pending=False, remaining__gt=0, expires_at__isnull=False
            )
            .values("expires_at")
            .annotate(points=Sum("remaining"))
            .order_by("expires_at")[:EXPIRING_SHOWN]
        ]
        program_tiers = list(program.tiers.all())
        progress, badges = milestones.standing(account, program)
        views.append(
            MemberView(
                account=account,
                expiring=expiring,
                tier=tiers.progress(account, program, program_tiers) if program_tiers else None,
                milestones=progress,
                badges=badges,
            )
        )
    return views


def transactions(
    workspace: Workspace,
    customer_id: str,
    program_key: str,
    *,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[LedgerEntry], str | None]:
    program = get_program(workspace, program_key)
    account = Account.objects.filter(
        program=program, customer_id=customer_id_of(workspace, customer_id)
    ).first()
    if account is None:
        raise NotAMember(
            f"{customer_id!r} is not a member of {program_key!r}.", field="customer_id"
        )
    entries: QuerySet[LedgerEntry] = LedgerEntry.objects.filter(account=account)
    return keyset_page(
        entries, fields=("created_at", "id"), descending=True, cursor=cursor, limit=limit
    )
