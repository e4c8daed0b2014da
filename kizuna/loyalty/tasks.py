"""Background work of the loyalty app: the scheduled jobs that activate pending points, expire
points and review tiers. Each is safe when several run at once, and when run again."""

from django.conf import settings
from django.tasks import task

from kizuna.loyalty.services import birthdays, expiry, pending, tiers


@task()
def activate_points() -> int:
    """Activate every pending lot whose waiting time is over; returns the points."""
    total = 0
    while activated := pending.activate_due():
        total += activated
    return total


@task()
def expire_points(workers: int | None = None) -> int:
    """Expire every lot whose time has come; returns the number of lots. On PostgreSQL,
    `workers` threads (KIZUNA_EXPIRY_WORKERS by default) share the accounts."""
    return expiry.expire_due(workers=workers or settings.KIZUNA_EXPIRY_WORKERS)


@task()
def review_tiers() -> int:
    """Confirm or lower the tiers whose period is over; returns the members reviewed."""
    total = 0
    while reviewed := tiers.review_due():
        total += reviewed
    return total


@task()
def award_birthdays() -> int:
    """Give today's birthday points in every live program; returns the members who got them."""
    return birthdays.award_due()
