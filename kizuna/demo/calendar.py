"""Time in the demo: the twelve months before the run, busier on some days and hours than
on others, in each customer's own time zone."""

import bisect
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

ORDER_WINDOW = timedelta(days=365)
HISTORY_BEFORE_WINDOW = timedelta(days=730)  # some members joined up to three years ago


def pick[T](rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Calendar:
    """The days of the order window, weighted by season (holiday gifting, Mother's Day) and by
    a growing business, so a single draw picks a day in any sub-range."""

    def __init__(self, anchor: datetime) -> None:
        self.anchor = anchor
        self.start = anchor - ORDER_WINDOW
        first = self.start.date()
        count = (anchor.date() - first).days + 1
        self.days = [first + timedelta(days=n) for n in range(count)]
        total = 0.0
        self.cumulative: list[float] = []
        for n, day in enumerate(self.days):
            total += _day_weight(day, n / count)
            self.cumulative.append(total)

    def index(self, moment: datetime) -> int:
        return max(0, min(len(self.days) - 1, (moment.date() - self.days[0]).days))

    def pick_day(self, rng: random.Random, lo: int) -> date:
        hi = len(self.days) - 1
        before = self.cumulative[lo - 1] if lo else 0.0
        target = before + rng.random() * (self.cumulative[hi] - before)
        return self.days[min(bisect.bisect_left(self.cumulative, target, lo, hi + 1), hi)]


def _day_weight(day: date, progress: float) -> float:
    weight = 1.0 + 0.35 * progress
    if day.weekday() >= 5:
        weight += 0.2
    if day.month == 12 and day.day <= 24:
        weight += 0.9
    elif day.month == 11 and day.day >= 24:
        weight += 0.7
    elif day.month == 5 and day.day <= 12:
        weight += 0.35
    elif day.month == 1 and day.day <= 3:
        weight -= 0.4
    return weight


def local_moment(
    rng: random.Random, day: date, hours: Sequence[tuple[int, int]], tz: str
) -> datetime:
    hour = pick(rng, hours)
    local = datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone(tz)
    )
    return local.astimezone(UTC)


STORE_HOURS = tuple((h, 3 if 12 <= h <= 17 else 2) for h in range(10, 20))
_ONLINE_PEAKS = {0: 3, 1: 2, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2, 7: 4, 8: 5, 12: 8, 20: 10, 21: 11}
ONLINE_HOURS = tuple((h, _ONLINE_PEAKS.get(h, 6)) for h in range(24))


def clamp(moment: datetime, lo: datetime, hi: datetime) -> datetime:
    return min(max(moment, lo), hi)


def uniform_moment(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    seconds = max(0.0, (hi - lo).total_seconds())
    return (lo + timedelta(seconds=rng.uniform(0, seconds))).replace(microsecond=0)
