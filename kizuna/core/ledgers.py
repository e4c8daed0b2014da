"""Checks of the ledgers that apps keep beside the loyalty ledger (gift cards...), which
`manage.py verify_ledger` runs after its own: an app registers its check from its
`AppConfig.ready()`, so that the command needs no import of the app (ARCHITECTURE 1,
registries instead of imports upwards)."""

from collections.abc import Callable

# A check returns one sentence per difference it finds between a cache and its ledger.
LedgerCheck = Callable[[], list[str]]

CHECKS: dict[str, LedgerCheck] = {}


def register_ledger_check(name: str, check: LedgerCheck) -> None:
    if CHECKS.get(name, check) is not check:
        raise RuntimeError(f"Ledger check {name} is registered twice.")
    CHECKS[name] = check


def run_ledger_checks() -> list[str]:
    """Every registered check's differences, each prefixed with the check's name."""
    return [f"{name}: {problem}" for name, check in sorted(CHECKS.items()) for problem in check()]
