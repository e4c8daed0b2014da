"""Each customer's referral code: one per customer and program, made on first read.

The code is drawn from the program's code spec with the vouchers' unambiguous charset (no 0/O,
1/I/L) and stored normalized, so lookups compare case-insensitively. Two first reads at the
same moment store one code: the unique constraint on (program, customer) decides and the
loser reads the winner's row (`insert_once`); a drawn code that another customer holds is
drawn again."""

from django.db import transaction

from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.customers.services.profiles import check_not_erased
from kizuna.referrals.errors import CodeNotFound, ProgramNotActive, ProgramRequired
from kizuna.referrals.models import ProgramStatus, ReferralCode, ReferralProgram
from kizuna.referrals.selectors import customer_of
from kizuna.referrals.services.programs import get_program
from kizuna.vouchers.services import codes

MAX_DRAWS = 8


def program_for_code(workspace: Workspace, program_key: str | None) -> ReferralProgram:
    """The named program, or the workspace's only active one when none is named."""
    if program_key is not None:
        program = get_program(workspace, program_key)
    else:
        active = list(
            ReferralProgram.objects.for_workspace(workspace)
            .filter(status=ProgramStatus.ACTIVE)
            .order_by("pk")[:2]
        )
        if len(active) != 1:
            raise ProgramRequired(
                "Name the referral program (?program_id=): the workspace has "
                f"{'several active programs' if active else 'no active program'}.",
                field="program_id",
            )
        program = active[0]
    if program.status != ProgramStatus.ACTIVE:
        raise ProgramNotActive(
            f"Referral program {program.key!r} is {program.status}.", field="program_id"
        )
    return program


def _spec(program: ReferralProgram) -> codes.CodeSpec:
    spec = program.code_spec or {}
    return codes.CodeSpec(
        spec.get("prefix", ""), "", codes.DEFAULT_CHARSET, spec.get("length"), None
    )


def code_of(workspace: Workspace, customer_id: str, program_key: str | None) -> ReferralCode:
    """The customer's code in the program, made now if the customer has none."""
    customer = customer_of(workspace, customer_id)  # an unknown customer is 404 first
    program = program_for_code(workspace, program_key)
    existing = one_or_none(ReferralCode.objects.filter(program=program, customer=customer))
    if existing is not None:
        return _presentable(existing, program, customer)
    check_not_erased(customer, "customer_id")
    spec = _spec(program)
    with transaction.atomic(savepoint=False):
        for _ in range(MAX_DRAWS):
            (code,) = codes.draw(spec, 1)
            try:
                row, _created = insert_once(
                    ReferralCode(
                        workspace=workspace, program=program, customer=customer, code=code
                    ),
                    program=program,
                    customer=customer,
                )
            except ReferralCode.DoesNotExist:
                continue  # the code was another customer's: draw again
            return _presentable(row, program, customer)
    raise ValidationFailed(
        f"No free referral code is left in program {program.key!r}; give it a longer length.",
        code="code_space_too_small",
        field="program_id",
    )


def _presentable(row: ReferralCode, program: ReferralProgram, customer: Customer) -> ReferralCode:
    row.program = program
    row.customer = customer
    return row


def find_code(workspace: Workspace | int, value: object, field: str = "code") -> ReferralCode:
    """The code as given, compared case-insensitively and without spaces, with its program
    and owner (404 `referral_code_not_found`)."""
    if not isinstance(value, str) or not codes.is_code(value):
        raise CodeNotFound("No such referral code.", field=field)
    row = one_or_none(
        ReferralCode.objects.for_workspace(workspace)
        .filter(code=codes.normalize(value))
        .select_related("program", "program__loyalty_program", "customer")
    )
    if row is None:
        raise CodeNotFound("No such referral code.", field=field)
    return row
