"""Accounts: a customer's membership of a program, opened on enrolment (explicit) or with
their first earning (automatic), and locked before any write to its ledger."""

from collections.abc import Sequence

from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.customers.services.profiles import check_not_erased
from kizuna.loyalty.locks import lock_account, lock_accounts
from kizuna.loyalty.models import Account, Enrolment, Program


def open_account(program: Program, customer: Customer) -> tuple[Account, bool]:
    """The customer's account in the program, locked, opened if need be (the enrolment
    rules then run). Returns (account, opened now)."""
    check_not_erased(customer, "customer_id")
    account = lock_account(program, customer.pk)
    if account is not None:
        account.customer = customer
        return account, False
    account, created = insert_once(
        Account(
            workspace_id=program.workspace_id,
            program=program,
            customer=customer,
            allow_negative=program.returns.get("allow_negative", False),
        ),
        program=program,
        customer=customer,
    )
    locked = lock_account(program, customer.pk)
    assert locked is not None
    locked.customer = customer
    if created:
        from kizuna.loyalty.services import earning

        earning.on_enrolment(program, locked, customer)
    return locked, created


def account_for_fact(program: Program, customer: Customer) -> Account | None:
    """The account a fact of the customer earns on, locked: opened at once under automatic
    enrolment; None when enrolment is explicit and the customer has not enrolled."""
    if program.enrolment == Enrolment.AUTOMATIC:
        return open_account(program, customer)[0]
    account = lock_account(program, customer.pk)
    if account is not None:
        account.customer = customer
    return account


def lock_memberships(customer: Customer, programs: Sequence[Program]) -> dict[int, Account]:
    """The customer's accounts in these programs, all locked at once in primary-key order
    (the order every writer of several accounts keeps), by program pk."""
    if not programs:
        return {}
    by_pk = {program.pk: program for program in programs}
    locked = lock_accounts(
        Account.objects.filter(customer=customer, program_id__in=by_pk).select_related("tier")
    )
    for account in locked:
        account.program = by_pk[account.program_id]
        account.customer = customer
    return {account.program_id: account for account in locked}


def member_for_fact(
    program: Program, customer: Customer, locked: dict[int, Account]
) -> Account | None:
    """The account a fact earns on: one of `locked`, or one opened now under automatic
    enrolment (None for a customer who has not joined a program of explicit enrolment)."""
    account = locked.get(program.pk)
    if account is not None or program.enrolment != Enrolment.AUTOMATIC:
        return account
    return open_account(program, customer)[0]
