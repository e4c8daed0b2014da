"""The checkout's periodic jobs, registered with the scheduler at start-up (ADR 0022)."""

from kizuna.core.schedule import register_job
from kizuna.rewards.services import reservations


def release_holds() -> str:
    return f"released {reservations.release_expired()} expired reservation(s)"


def register() -> None:
    register_job(
        "checkout_release_holds",
        release_holds,
        "1m",
        "Lets go of the code uses, points and gift-card value held by reservations whose "
        "time has passed.",
    )
