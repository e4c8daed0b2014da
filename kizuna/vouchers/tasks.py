"""Background work of the vouchers app. Each task takes ids, reloads, and is safe to run
again."""

from django.tasks import task

from kizuna.vouchers.services import expiry, generation


@task()
def generate_codes(generation_id: int) -> str | None:
    """Generate a campaign's codes from the run's last checkpoint; the run's status."""
    run = generation.run_generation(generation_id)
    return None if run is None else run.status


@task()
def expire_gift_cards() -> int:
    """Expire every card whose time has come; the number of cards."""
    return expiry.expire_due()
