"""Row locks of the loyalty app. Accounts come after the customer and the orders a write
touches (docs/concepts.md, Locking), in primary-key order; an account's lots after it."""

from collections.abc import Collection

from django.db import connection
from django.db.models import QuerySet

from kizuna.core.models import one_or_none
from kizuna.loyalty.models import Account, EarningRule, PointLot, Program


def lock_account(program: Program, customer_id: int) -> Account | None:
    account = one_or_none(
        Account.objects.select_for_update(of=("self",))
        .filter(program=program, customer_id=customer_id)
        .select_related("tier")
    )
    if account is not None:
        account.program = program
    return account


def lock_accounts(queryset: QuerySet[Account]) -> list[Account]:
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))


def lock_account_ids(ids: Collection[int]) -> None:
    """Lock the accounts with these keys, in primary-key order, without reading them: for a
    job that writes thousands of accounts in one statement. On PostgreSQL one array
    parameter, not one parameter per key."""
    if connection.vendor != "postgresql":
        list(
            Account.objects.filter(pk__in=list(ids))
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Account._meta.db_table} WHERE id = ANY(%s) "  # noqa: S608
            "ORDER BY id FOR UPDATE",
            [sorted(ids)],
        )


def lock_rule(rule_pk: int) -> EarningRule | None:
    return one_or_none(EarningRule.objects.select_for_update().filter(pk=rule_pk))


def lock_lots(lots: QuerySet[PointLot]) -> QuerySet[PointLot]:
    """The lots, to be locked as they are read. Only with their account locked first: the
    account lock orders the writers, so lots may be read in the order they are spent."""
    return lots.select_for_update()


def lock_program(programs: QuerySet[Program]) -> Program | None:
    return one_or_none(programs.select_for_update())


def lock_rule_of(rules: QuerySet[EarningRule]) -> EarningRule | None:
    return one_or_none(rules.select_for_update())
