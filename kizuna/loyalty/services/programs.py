"""Programs and their members: created, changed (each change audited), enrolled."""

from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.errors import ValidationFailed, refuse_nulls
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.money import check_currency
from kizuna.core.upsert import insert_new
from kizuna.customers.models import Customer
from kizuna.customers.selectors import get_customer
from kizuna.loyalty.errors import ProgramExists, ProgramNotFound
from kizuna.loyalty.locks import lock_program
from kizuna.loyalty.models import NAME_MAX_LENGTH, Account, Enrolment, Program, ProgramStatus
from kizuna.loyalty.services import policies, setup

POINTS_NAME_MAX_LENGTH = 50
PROGRAM_FIELDS = (
    "name",
    "points_name",
    "currency",
    "timezone",
    "status",
    "enrolment",
    "pending",
    "expiry",
    "returns",
)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_name(value: Any, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"A name of 1 to {NAME_MAX_LENGTH} characters.", code="invalid_name", field=field
        )
    return value.strip()


def check_translations(value: Any, field: str, max_length: int) -> dict[str, str]:
    """{"default": text, "ja": text, ...}: a default, and texts by language tag."""
    if not isinstance(value, Mapping) or not isinstance(value.get("default"), str):
        raise ValidationFailed(
            'An object of texts by language with a "default".', code="invalid_text", field=field
        )
    out: dict[str, str] = {}
    for language, text in value.items():
        if not isinstance(text, str) or not text.strip() or len(text) > max_length:
            raise ValidationFailed(
                f"Texts are 1 to {max_length} characters.",
                code="invalid_text",
                field=f"{field}.{language}",
            )
        out[str(language)] = text.strip()
    return out


# The fields a change may not set to null (`pending: null` means no pending policy).
NOT_NULL = (
    "name",
    "points_name",
    "currency",
    "timezone",
    "status",
    "enrolment",
    "expiry",
    "returns",
)


def check_program(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The program fields present in `data`, checked; on create (not partial), the defaults
    of those left out."""
    clean: dict[str, Any] = {}
    if partial:
        refuse_nulls(data, NOT_NULL)
    if "name" in data or not partial:
        clean["name"] = check_name(data.get("name"))
    if "points_name" in data or not partial:
        clean["points_name"] = check_translations(
            data.get("points_name", {"default": "points"}), "points_name", POINTS_NAME_MAX_LENGTH
        )
    if "currency" in data or not partial:
        clean["currency"] = check_currency(data.get("currency"))
    if "timezone" in data or not partial:
        tz = data.get("timezone", "UTC")
        if tz not in _timezones():
            raise ValidationFailed(
                "Time zones are IANA names such as Asia/Tokyo.",
                code="invalid_timezone",
                field="timezone",
            )
        clean["timezone"] = tz
    if "status" in data or not partial:
        status = data.get("status", ProgramStatus.DRAFT)
        if status not in ProgramStatus.values:
            raise ValidationFailed(
                "status is draft, active or paused.", code="invalid_status", field="status"
            )
        clean["status"] = status
    if "enrolment" in data or not partial:
        enrolment = data.get("enrolment", Enrolment.AUTOMATIC)
        if enrolment not in Enrolment.values:
            raise ValidationFailed(
                "enrolment is automatic or explicit.", code="invalid_enrolment", field="enrolment"
            )
        clean["enrolment"] = enrolment
    if "pending" in data or not partial:
        clean["pending"] = policies.check_pending(data.get("pending"))
    if "expiry" in data or not partial:
        clean["expiry"] = policies.check_expiry(data.get("expiry", {"policy": "none"}))
    if "returns" in data or not partial:
        clean["returns"] = policies.check_returns(data.get("returns"))
    return clean


def snapshot(program: Program) -> dict[str, Any]:
    return {"id": program.key, **{name: getattr(program, name) for name in PROGRAM_FIELDS}}


def create_program(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> Program:
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("program")
    clean = check_program(data, partial=False)
    with transaction.atomic(savepoint=False):
        program = insert_new(
            ProgramExists(f"A program {key!r} exists already.", field="id"),
            Program(workspace=workspace, key=key, **clean),
            workspace=workspace,
            key=key,
        )
        audit.record(workspace, actor, "program.created", "program", key, after=snapshot(program))
    return program


def get_program(workspace: Workspace, key: str, *, lock: bool = False) -> Program:
    queryset = Program.objects.for_workspace(workspace).filter(key=key)
    program = lock_program(queryset) if lock else one_or_none(queryset)
    if program is None:
        raise ProgramNotFound(f"No program {key!r}.", field="program_id")
    return program


def update_program(
    workspace: Workspace, key: str, data: Mapping[str, Any], actor: Actor
) -> Program:
    clean = check_program(data, partial=True)
    with transaction.atomic(savepoint=False):
        program = get_program(workspace, key, lock=True)
        before = snapshot(program)
        for name, value in clean.items():
            setattr(program, name, value)
        after = snapshot(program)
        if after != before:
            program.updated_at = setup.next_version(program.updated_at)
            program.save()
            if "returns" in clean:
                # Accounts carry the program's negative-balance policy for their CHECK.
                Account.objects.filter(program=program).update(
                    allow_negative=program.returns["allow_negative"]
                )
            audit.record(
                workspace, actor, "program.updated", "program", key, before=before, after=after
            )
    return program


def enrol(workspace: Workspace, program_key: str, customer_id: str) -> tuple[Account, bool]:
    """Make the customer a member of the program (explicit enrolment, or ahead of their
    first earning). Returns (account, newly enrolled); a member stays one."""
    from kizuna.loyalty.services import accounts

    with transaction.atomic(savepoint=False):
        program = get_program(workspace, program_key)
        customer: Customer = get_customer(workspace, customer_id)
        return accounts.open_account(program, customer)
