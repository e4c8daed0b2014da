"""The vouchers app's periodic jobs, registered with the scheduler at start-up (ADR 0022)."""

from datetime import timedelta

from kizuna.core.schedule import register_job
from kizuna.vouchers import tasks
from kizuna.vouchers.services import generation


def expire_gift_cards() -> str:
    return f"expired {tasks.expire_gift_cards.call()} gift card(s)"


def resume_generations() -> str:
    """Finish the code generations whose task was lost or whose worker died."""
    ids = generation.stalled_ids(timedelta(minutes=10))
    failed = []
    for generation_id in ids:
        try:
            generation.run_generation(generation_id)
        except Exception:  # recorded on the run (generation_interrupted) and logged
            failed.append(generation_id)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(ids)} stalled generation(s) failed: {failed}")
    return f"resumed {len(ids)} stalled code generation(s)"


def register() -> None:
    register_job(
        "vouchers_expire_gift_cards",
        expire_gift_cards,
        "1h@00:20",
        "Expires gift cards and store credit whose expiry has passed, with an expire entry "
        "for what each still held.",
    )
    register_job(
        "vouchers_generation_resume",
        resume_generations,
        "5m",
        "Finishes voucher code generations whose task was lost or whose worker died (no "
        "progress for 10 minutes), from their last checkpoint.",
    )
