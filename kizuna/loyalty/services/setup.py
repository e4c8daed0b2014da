"""A program's setup (its rules, tiers and milestones), read once per process and version.

Every fact asks which programs are live (one query: their status may change at any time),
then takes each program's setup from this cache: a program's `updated_at` moves whenever its
rules, tiers or milestones change (`touch`), so a changed setup is read again by every
process on its next fact."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from kizuna.core.clock import now
from kizuna.loyalty.models import EarningRule, Milestone, Program, ProgramStatus, Tier


@dataclass(frozen=True)
class Setup:
    program: Program
    rules: tuple[EarningRule, ...]
    tiers: tuple[Tier, ...]
    milestones: tuple[Milestone, ...]

    def rules_for(self, trigger: str) -> list[EarningRule]:
        return [rule for rule in self.rules if rule.trigger.get("type") == trigger]


_CACHE: dict[tuple[int, datetime], Setup] = {}
_LOCK = Lock()
MAX_CACHED = 1000


def setup_of(program: Program) -> Setup:
    key = (program.pk, program.updated_at)
    found = _CACHE.get(key)
    if found is not None:
        return Setup(program, found.rules, found.tiers, found.milestones)
    rules = tuple(
        EarningRule.objects.filter(
            program=program, status="active", deleted_at__isnull=True
        ).order_by("priority", "key")
    )
    tiers = tuple(Tier.objects.filter(program=program).order_by("rank"))
    milestones = tuple(Milestone.objects.filter(program=program).order_by("key"))
    for rule in rules:
        rule.program = program
    for tier in tiers:
        tier.program = program
    for milestone in milestones:
        milestone.program = program
    found = Setup(program, rules, tiers, milestones)
    with _LOCK:
        if len(_CACHE) >= MAX_CACHED:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def forget_setups() -> None:
    """Empty the cache. For tests: a rolled-back transaction can hand a new program the key
    (primary key and `updated_at`, under a held clock) of one that never committed, which a
    real database never does."""
    with _LOCK:
        _CACHE.clear()


def live_setups(workspace_id: int) -> list[Setup]:
    """The workspace's active programs with their setups, in a fixed order."""
    programs = Program.objects.filter(
        workspace_id=workspace_id, status=ProgramStatus.ACTIVE
    ).select_related("workspace")
    return [setup_of(program) for program in programs.order_by("pk")]


def next_version(current: datetime | None) -> datetime:
    """A new `updated_at` for a program: now, or just after the current one when the clock
    has not moved past it (a replay of history holds the clock), so the key always changes."""
    moment = now()
    if current is not None and moment <= current:
        moment = current + timedelta(microseconds=1)
    return moment


def touch(program: Program) -> None:
    """The program's rules, tiers or milestones changed: its setup is read again (the
    program was read in the change's transaction, so its `updated_at` is the stored one)."""
    program.updated_at = next_version(program.updated_at)
    Program.objects.filter(pk=program.pk).update(updated_at=program.updated_at)
