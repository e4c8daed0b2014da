"""Accounts: a customer's membership of a program, opened on enrolment (explicit) or with
their first earning (automatic), and locked before any write to its ledger."""

from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.customers.services.profiles import check_not_erased
from kizuna.loyalty.locks import lock_account
from kizuna.loyalty.models import Account, Enrolment, Program


def open_account(program: Program, customer: Customer) -> tuple[Account, bool]:
    """The customer's account in the program, locked, opened if need be (the enrolment
    rules then run). Returns (account, opened now)."""
    check_not_erased(customer, "customer_id")
    account = lock_account(program, customer.pk)
    if account is not None:
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
    if created:
        from kizuna.loyalty.services import earning

        earning.on_enrolment(program, locked, customer)
    return locked, created


def account_for_fact(program: Program, customer: Customer) -> Account | None:
    """The account a fact of the customer earns on, locked: opened at once under automatic
    enrolment; None when enrolment is explicit and the customer has not enrolled."""
    if program.enrolment == Enrolment.AUTOMATIC:
        return open_account(program, customer)[0]
    return lock_account(program, customer.pk)
