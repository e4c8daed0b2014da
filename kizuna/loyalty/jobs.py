"""The loyalty app's periodic jobs, registered with the scheduler at start-up (ADR 0022).

Each is safe when two run at once and when run again (services/pending.py, expiry.py,
tiers.py, birthdays.py), so a schedule only sets how soon a due lot, tier or birthday is
seen: within the hour by default."""

from kizuna.core.schedule import register_job
from kizuna.loyalty import tasks


def activate_points() -> str:
    return f"activated {tasks.activate_points.call()} point(s)"


def expire_points() -> str:
    return f"expired {tasks.expire_points.call()} lot(s)"


def review_tiers() -> str:
    return f"reviewed {tasks.review_tiers.call()} member(s)"


def award_birthdays() -> str:
    return f"birthday points for {tasks.award_birthdays.call()} member(s)"


def register() -> None:
    register_job(
        "loyalty_activate_points",
        activate_points,
        "15m",
        "Activates pending points whose waiting time is over (the program's return window).",
    )
    register_job(
        "loyalty_expire_points",
        expire_points,
        "1h",
        "Expires every lot of points whose time has come, soonest first, one entry per member.",
    )
    register_job(
        "loyalty_review_tiers",
        review_tiers,
        "1h@00:10",
        "Confirms or lowers the tiers whose qualification period and grace are over.",
    )
    register_job(
        "loyalty_birthdays",
        award_birthdays,
        "1h@00:05",
        "Gives birthday points to members whose birthday it is in the program's time zone, "
        "once a year.",
    )
