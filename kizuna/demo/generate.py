"""Plan the demo data in memory: pure functions of a seed and a moment, no database.

Each customer draws from a random stream of its own (seeded by the run's seed and the customer's
number), so one seed always gives the same people, baskets and amounts; times are laid out
backwards from the moment of the run, over the twelve months before it."""

import bisect
import random
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from faker import Faker

from kizuna.core.money import round_amount
from kizuna.demo import catalog
from kizuna.demo.catalog import City, Product

ORDER_WINDOW = timedelta(days=365)
HISTORY_BEFORE_WINDOW = timedelta(days=730)  # some members joined up to three years ago

PENDING, PAID, CANCELLED = "pending", "paid", "cancelled"
ONLINE, STORE, APP = "online", "store", "app"
GRANTED, DENIED, CONSENT_PENDING = "granted", "denied", "pending"

_NOT_HANDLE = re.compile(r"[^a-z0-9.]")


# ------------------------------------------------------------------ plans


@dataclass(slots=True)
class ItemPlan:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal
    refunded_quantity: int = 0


@dataclass(slots=True)
class RefundLine:
    position: int
    sku: str
    quantity: int
    amount: Decimal


@dataclass(slots=True)
class RefundPlan:
    amount: Decimal
    reason: str
    occurred_at: datetime
    recorded_at: datetime
    lines: list[RefundLine]
    external_id: str = ""


@dataclass(slots=True)
class StatusChange:
    previous_status: str
    status: str
    occurred_at: datetime


@dataclass(slots=True)
class OrderPlan:
    customer: "CustomerPlan"
    initial_status: str
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    prices_include_tax: bool
    channel: str
    store_code: str
    location: str
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    items: list[ItemPlan]
    status: str = ""
    changes: list[StatusChange] = field(default_factory=list)
    refunds: list[RefundPlan] = field(default_factory=list)
    refunded_total: Decimal = Decimal(0)
    external_id: str = ""

    @property
    def updated_at(self) -> datetime:
        moments = [c.occurred_at for c in self.changes] + [r.recorded_at for r in self.refunds]
        return max([self.recorded_at, *moments])


@dataclass(slots=True)
class EventPlan:
    client_id: str
    name: str
    properties: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    order: OrderPlan | None = None  # a review names its order once orders are numbered


@dataclass(slots=True)
class ConsentStep:
    channel: str
    status: str
    previous_status: str | None
    source: str
    occurred_at: datetime


@dataclass(slots=True)
class CustomerPlan:
    number: int
    lang: str
    market: str
    city: City
    store: str | None
    app_user: bool
    platform: str
    tea_club: bool
    favorite_tea: str | None
    email: str
    phone: str
    first_name: str
    last_name: str
    birthdate: date | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    consents: list[ConsentStep] = field(default_factory=list)
    orders: list[OrderPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)
    external_id: str = ""


@dataclass
class DemoPlan:
    anchor: datetime
    customers: list[CustomerPlan]
    orders: list[OrderPlan]
    refunds: list[tuple[OrderPlan, RefundPlan]]
    events: list[tuple[CustomerPlan, EventPlan]]

    @property
    def consent_changes(self) -> int:
        return sum(len(c.consents) for c in self.customers)


# ------------------------------------------------------------------ helpers


def _pick[T](rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


@cache
def _zone(name: str) -> ZoneInfo:
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


def _local_moment(
    rng: random.Random, day: date, hours: Sequence[tuple[int, int]], tz: str
) -> datetime:
    hour = _pick(rng, hours)
    local = datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=_zone(tz)
    )
    return local.astimezone(UTC)


STORE_HOURS = tuple((h, 3 if 12 <= h <= 17 else 2) for h in range(10, 20))
_ONLINE_PEAKS = {0: 3, 1: 2, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2, 7: 4, 8: 5, 12: 8, 20: 10, 21: 11}
ONLINE_HOURS = tuple((h, _ONLINE_PEAKS.get(h, 6)) for h in range(24))


def _clamp(moment: datetime, lo: datetime, hi: datetime) -> datetime:
    return min(max(moment, lo), hi)


def _uniform_moment(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    seconds = max(0.0, (hi - lo).total_seconds())
    return (lo + timedelta(seconds=rng.uniform(0, seconds))).replace(microsecond=0)


# ------------------------------------------------------------------ customers

# Revised Romanization of Korean, letter by letter (no sound-change rules): enough for handles.
_INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()  # noqa: SIM905
_MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()  # noqa: SIM905
_FINALS = "- k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()  # noqa: SIM905


def romanize_korean(text: str) -> str:
    out = []
    for char in text:
        code = ord(char) - 0xAC00
        if not 0 <= code < 11172:
            out.append(char)
            continue
        initial, medial, final = code // 588, code % 588 // 28, code % 28
        out += [_INITIALS[initial], _MEDIALS[medial], _FINALS[final]]
    return "".join(part for part in out if part != "-")


def _handle(rng: random.Random, first: str, last: str) -> str:
    first, last = first.lower(), last.lower()
    style = rng.randrange(4)
    if style == 0:
        handle = f"{first}.{last}"
    elif style == 1:
        handle = f"{first[:1]}{last}"
    elif style == 2:
        handle = f"{first}{last[:1]}"
    else:
        handle = f"{last}.{first}"
    return _NOT_HANDLE.sub("", handle).strip(".") or "tea"


def _email(rng: random.Random, handle: str, taken: set[str]) -> str:
    if rng.random() < 0.45:
        handle += str(rng.randint(1, 99))
    domain = _pick(rng, catalog.EMAIL_DOMAINS)
    email = f"{handle}@{domain}".lower()
    while email in taken:
        email = f"{handle}{rng.randint(100, 9999)}@{domain}".lower()
    taken.add(email)
    return email


def _phone(rng: random.Random, market: str, city: City, taken: set[str]) -> str:
    while True:
        if market == "US":
            # 555 numbers are reserved for examples and fiction.
            number = f"+1{city.area_code}555{rng.randrange(10000):04d}"
        else:
            prefix = rng.choice(catalog.MOBILE_PREFIXES[market])
            subscriber = rng.randint(10_000_000, 99_999_999)
            number = f"+{catalog.COUNTRY_CODES[market]}{prefix}{subscriber}"
        if number not in taken:
            taken.add(number)
            return number


FAVORITE_TEAS = {
    "US": (("matcha", 30), ("black", 22), ("herbal", 20), ("sencha", 12), ("oolong", 10)),
    "JP": (("sencha", 32), ("hojicha", 22), ("matcha", 22), ("black", 10), ("oolong", 8)),
    "KR": (("herbal", 26), ("sencha", 24), ("matcha", 18), ("oolong", 14), ("black", 12)),
}  # fmt: skip
LANGUAGES = (("en", 45), ("ja", 33), ("ko", 22))
HOUSEHOLD = ((1, 28), (2, 34), (3, 16), (4, 15), (5, 7))


def _plan_profile(
    rng: random.Random,
    number: int,
    fakers: dict[str, Faker],
    calendar: Calendar,
    emails: set[str],
    phones: set[str],
) -> CustomerPlan:
    anchor = calendar.anchor
    lang = _pick(rng, LANGUAGES)
    roll = rng.random()
    if lang == "en":
        market = "JP" if roll < 0.03 else "KR" if roll < 0.05 else "US"
    else:
        market = "US" if roll < (0.08 if lang == "ja" else 0.10) else catalog.HOME_MARKET[lang]
    fake = fakers[lang]
    fake.seed_instance(rng.getrandbits(64))
    female = rng.random() < 0.56
    if lang == "ja":
        pair = fake.first_name_female_pair() if female else fake.first_name_male_pair()
        first, first_latin = pair[0], pair[2]
        last, _, last_latin = fake.last_name_pair()
        handle = _handle(rng, first_latin, last_latin)
    elif lang == "ko":
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        last_latin = catalog.KOREAN_SURNAMES.get(last) or romanize_korean(last)
        handle = _handle(rng, romanize_korean(first), last_latin)
    else:
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        handle = _handle(rng, first, last)

    cities = catalog.CITIES[market]
    city = rng.choices(cities, [c.weight for c in cities])[0]
    if market != "US" and catalog.HOME_MARKET[lang] == market and rng.random() < 0.12:
        city = City(fake.city(), market, city.timezone, 1)  # a smaller town, no shop nearby

    email = _email(rng, handle, emails) if rng.random() < 0.93 else ""
    phone = _phone(rng, market, city, phones) if rng.random() < 0.72 else ""
    birthdate = None
    if rng.random() < 0.68:
        age_days = int(rng.triangular(18, 80, 36) * 365.25)
        birthdate = anchor.date() - timedelta(days=age_days)

    if rng.random() < 0.55:
        created_at = anchor - ORDER_WINDOW - rng.random() * HISTORY_BEFORE_WINDOW
        created_at = created_at.replace(microsecond=0)
    else:
        created_at = _local_moment(rng, calendar.pick_day(rng, 0), ONLINE_HOURS, city.timezone)
        created_at = _clamp(created_at, calendar.start, anchor - timedelta(minutes=30))
    updated_at = _uniform_moment(rng, created_at, anchor) if rng.random() < 0.25 else created_at

    app_user = rng.random() < {"US": 0.40, "JP": 0.45, "KR": 0.55}[market]
    ios_share = {"US": 0.55, "JP": 0.65, "KR": 0.30}[market]
    platform = "ios" if rng.random() < ios_share else "android"
    tea_club = rng.random() < 0.18
    favorite = _pick(rng, FAVORITE_TEAS[market]) if rng.random() < 0.75 else None
    attributes: dict[str, Any] = {"city": city.name}
    if favorite:
        attributes["favorite_tea"] = favorite
    if rng.random() < 0.55:
        attributes["household_size"] = _pick(rng, HOUSEHOLD)
    attributes["tea_club_member"] = tea_club
    if tea_club:
        attributes["tea_club_since"] = _uniform_moment(rng, created_at, anchor).date().isoformat()
    attributes["app_user"] = app_user

    return CustomerPlan(
        number=number,
        lang=lang,
        market=market,
        city=city,
        store=city.store,
        app_user=app_user,
        platform=platform,
        tea_club=tea_club,
        favorite_tea=favorite,
        email=email,
        phone=phone,
        first_name=first,
        last_name=last,
        birthdate=birthdate,
        attributes=attributes,
        created_at=created_at,
        updated_at=updated_at,
    )


# The custom attributes and their types, as the first write would declare them.
ATTRIBUTE_TYPES = {
    "city": "string",
    "favorite_tea": "string",
    "household_size": "number",
    "tea_club_member": "boolean",
    "tea_club_since": "date",
    "app_user": "boolean",
}


# ------------------------------------------------------------------ consent


def _plan_consents(rng: random.Random, customer: CustomerPlan, anchor: datetime) -> None:
    signup_source = "pos" if customer.store and rng.random() < 0.4 else "signup"
    channels: list[tuple[str, tuple[tuple[str, int], ...], str]] = []
    if customer.email:
        channels.append(
            ("email_marketing", ((GRANTED, 62), (DENIED, 20), (CONSENT_PENDING, 18)), signup_source)
        )
    if customer.phone and rng.random() < 0.75:
        channels.append(("sms_marketing", ((GRANTED, 35), (DENIED, 65)), signup_source))
    if customer.app_user:
        channels.append(("push_marketing", ((GRANTED, 70), (DENIED, 30)), "app"))
    if rng.random() < 0.7:
        channels.append(("surveys", ((GRANTED, 60), (DENIED, 40)), signup_source))
    for channel, choices, source in channels:
        moment = customer.created_at + timedelta(seconds=rng.randint(0, 90))
        status = _pick(rng, choices)
        steps = [ConsentStep(channel, status, None, source, moment)]
        if status == CONSENT_PENDING and rng.random() < 0.8:
            # Double opt-in: the customer clicks the confirmation link.
            moment += timedelta(minutes=rng.randint(2, 2880))
            steps.append(ConsentStep(channel, GRANTED, status, "double_opt_in", moment))
            status = GRANTED
        if rng.random() < 0.14:
            later = _uniform_moment(rng, moment, anchor)
            new = DENIED if status == GRANTED else GRANTED
            source = (
                "unsubscribe_link"
                if new == DENIED and channel == "email_marketing"
                else ("preference_center")
            )
            steps.append(ConsentStep(channel, new, status, source, later))
        customer.consents += [s for s in steps if s.occurred_at <= anchor]


def granted_since(customer: CustomerPlan, channel: str) -> datetime | None:
    """When the customer's current grant on a channel began (None: not granted now)."""
    steps = [s for s in customer.consents if s.channel == channel]
    if not steps or steps[-1].status != GRANTED:
        return None
    return steps[-1].occurred_at


# ------------------------------------------------------------------ orders


@cache
def _product_weights(favorite: str | None, gift_season: bool) -> list[float]:
    weights, total = [], 0.0
    for product in catalog.PRODUCTS:
        weight = float(product.popularity)
        if favorite and product.tea == favorite:
            weight *= 3
        if gift_season and product.category == "gift sets":
            weight *= 4
        total += weight
        weights.append(total)
    return weights


LINES = ((1, 45), (2, 30), (3, 15), (4, 7), (5, 3))
QUANTITIES = ((1, 80), (2, 15), (3, 5))


def _basket(rng: random.Random, customer: CustomerPlan, moment: datetime) -> list[Product]:
    gift_season = moment.month == 12 or (moment.month == 11 and moment.day >= 20)
    weights = _product_weights(customer.favorite_tea, gift_season)
    wanted = _pick(rng, LINES)
    picked: list[Product] = []
    while len(picked) < wanted:
        product = rng.choices(catalog.PRODUCTS, cum_weights=weights)[0]
        if product not in picked:
            picked.append(product)
    return picked


def _tax(
    market: catalog.Market,
    items: list[ItemPlan],
    foods: list[bool],
    subtotal: Decimal,
    discount: Decimal,
    shipping: Decimal,
    us_rate: Decimal,
) -> Decimal:
    currency = market.currency
    if market.code == "US":  # sales tax on the discounted goods, added on top
        return round_amount((subtotal - discount) * us_rate / 100, currency)
    if market.code == "JP":  # consumption tax included: 8% on food, 10% on the rest
        paid_share = (subtotal - discount) / subtotal
        tax = shipping * 10 / 110
        for item, food in zip(items, foods, strict=True):
            rate = 8 if food else 10
            tax += item.unit_price * item.quantity * paid_share * rate / (100 + rate)
        return round_amount(tax, currency)
    return round_amount((subtotal - discount + shipping) / 11, currency)  # Korea: 10% VAT included


def _plan_order(
    rng: random.Random,
    customer: CustomerPlan,
    moment: datetime,
    channel: str,
    first: bool,
    anchor: datetime,
) -> OrderPlan:
    market = catalog.MARKETS[customer.market]
    currency = market.currency
    store = catalog.STORES[customer.store] if channel == STORE and customer.store else None
    products = _basket(rng, customer, moment)
    items = [
        ItemPlan(
            sku=p.sku,
            name=p.name,
            category=p.category,
            quantity=_pick(rng, QUANTITIES),
            unit_price=catalog.local_price(p, currency),
        )
        for p in products
    ]
    subtotal = sum((it.unit_price * it.quantity for it in items), Decimal(0))

    coupon = None
    if first and channel != STORE and rng.random() < 0.35:
        coupon = catalog.WELCOME
    elif customer.tea_club and rng.random() < 0.5:
        coupon = catalog.CLUB
    elif channel != STORE and rng.random() < 0.10:
        coupon = rng.choice(market.coupons)
    discount = Decimal(0)
    if coupon is not None and coupon.percent:
        discount = round_amount(subtotal * coupon.percent / 100, currency)
    elif coupon is not None and subtotal >= coupon.minimum:
        discount = coupon.amount_off
    else:
        coupon = None
    shipping = Decimal(0)
    if channel != STORE and subtotal - discount < market.free_shipping_from:
        shipping = market.shipping_fee
    us_rate = store.sales_tax if store else customer.city.sales_tax
    foods = [p.food for p in products]
    tax = _tax(market, items, foods, subtotal, discount, shipping, us_rate)
    total = subtotal - discount + shipping + (Decimal(0) if market.prices_include_tax else tax)

    payment = _pick(rng, market.store_payments if store else market.online_payments)
    metadata: dict[str, Any] = {"payment": payment}
    if coupon is not None:
        metadata["coupon"] = coupon.code
    if not store and rng.random() < 0.06:
        metadata["gift_wrap"] = True

    deferred = not store and (payment in catalog.DEFERRED_PAYMENTS or rng.random() < 0.04)
    order = OrderPlan(
        customer=customer,
        initial_status=PENDING if deferred else PAID,
        currency=currency,
        subtotal=subtotal,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        total=total,
        prices_include_tax=market.prices_include_tax,
        channel=channel,
        store_code=store.code if store else "",
        location=store.location if store else "",
        metadata=metadata,
        occurred_at=moment,
        recorded_at=min(moment + timedelta(seconds=rng.randint(1, 120)), anchor),
        items=items,
    )
    order.status = order.initial_status
    _simulate_status(rng, order, anchor)
    if order.status == PAID and rng.random() < 0.075:
        _simulate_refunds(rng, order, anchor)
    return order


def _change(order: OrderPlan, status: str, moment: datetime, anchor: datetime) -> None:
    if moment <= anchor:
        moment = moment.replace(microsecond=0)
        order.changes.append(StatusChange(order.status, status, moment))
        order.status = status


def _simulate_status(rng: random.Random, order: OrderPlan, anchor: datetime) -> None:
    if order.status == PENDING:
        if rng.random() < 0.8:  # the payment arrives, mostly within a day
            wait = timedelta(hours=rng.triangular(0.3, 168, 6))
            _change(order, PAID, order.recorded_at + wait, anchor)
        else:  # the payment slip expires
            wait = timedelta(hours=rng.randint(168, 240))
            _change(order, CANCELLED, order.recorded_at + wait, anchor)
    if order.status == PAID and order.channel != STORE and rng.random() < 0.025:
        # Cancelled by the customer before it shipped (the payment is voided, not refunded).
        since = order.changes[-1].occurred_at if order.changes else order.recorded_at
        _change(order, CANCELLED, since + timedelta(minutes=rng.randint(10, 1200)), anchor)


def _paid_for(order: OrderPlan, listed: Decimal) -> Decimal:
    """What the customer paid for goods listed at `listed` (their share of the discount and
    tax included), rounded as `services.refund_order` rounds it."""
    if not order.subtotal:
        return Decimal(0)
    goods_paid = order.total - order.shipping_total
    return round_amount(listed * goods_paid / order.subtotal, order.currency)


def _simulate_refunds(rng: random.Random, order: OrderPlan, anchor: datetime) -> None:
    """Refunds as `services.refund_order` computes them. An item refund is worth what the
    units cost the customer: the paid price of everything refunded so far, less that of what
    was refunded before (so rounding never drifts), and stops at what is left to refund."""
    currency = order.currency
    kind = "store" if order.channel == STORE else "online"
    moment = order.changes[-1].occurred_at if order.changes else order.recorded_at
    count = 2 if rng.random() < 0.15 else 1
    for _ in range(count):
        moment += timedelta(days=rng.uniform(2, 25))
        moment = moment.replace(microsecond=0)
        remaining = order.total - order.refunded_total
        if moment > anchor or remaining <= 0:
            return
        refundable = [
            (position, item)
            for position, item in enumerate(order.items)
            if item.quantity > item.refunded_quantity
        ]
        lines: list[RefundLine] = []
        if refundable and rng.random() < 0.65:
            position, item = rng.choice(refundable)
            take = rng.randint(1, item.quantity - item.refunded_quantity)
            listed_before = sum(
                (it.unit_price * it.refunded_quantity for it in order.items), Decimal(0)
            )
            listed_after = listed_before + item.unit_price * take
            share = _paid_for(order, listed_after) - _paid_for(order, listed_before)
            if share <= 0:
                return
            lines.append(RefundLine(position, item.sku, take, share))
            amount = min(share, remaining)
            reason = rng.choice(catalog.ITEM_REFUND_REASONS[kind])
            item.refunded_quantity += take
        elif 0 < order.shipping_total <= remaining and rng.random() < 0.3:
            amount, reason = order.shipping_total, catalog.SHIPPING_REFUND_REASON
        else:
            percent = Decimal(rng.randint(10, 30))
            amount = min(round_amount(order.total * percent / 100, currency), remaining)
            if amount <= 0:
                return
            reason = rng.choice(catalog.AMOUNT_REFUND_REASONS[kind])
        recorded_at = min(moment + timedelta(seconds=rng.randint(1, 60)), anchor)
        order.refunds.append(RefundPlan(amount, reason, moment, recorded_at, lines))
        order.refunded_total += amount


ORDER_COUNTS: tuple[tuple[tuple[int, int], int], ...] = (
    ((0, 0), 14),
    ((1, 1), 36),
    ((2, 4), 30),
    ((5, 10), 15),
    ((11, 24), 5),
)


def _plan_orders(rng: random.Random, customer: CustomerPlan, calendar: Calendar) -> None:
    anchor = calendar.anchor
    lo, hi = _pick(rng, ORDER_COUNTS)
    wanted = rng.randint(lo, hi)
    joined_in_window = customer.created_at >= calendar.start
    first_day = calendar.index(customer.created_at) if joined_in_window else 0
    active = (len(calendar.days) - first_day) / len(calendar.days)
    count = round(wanted * active)
    if wanted and not count and rng.random() < 0.6:
        count = 1
    earliest = max(customer.created_at, calendar.start) + timedelta(minutes=5)
    latest = anchor - timedelta(minutes=1)
    weights = (
        (STORE, 5 if customer.store else 0),
        (APP, 3 if customer.app_user else 0),
        (ONLINE, 4),
    )
    visits = []
    for _ in range(count):
        channel = _pick(rng, weights)
        store = catalog.STORES.get(customer.store or "")
        tz = store.timezone if channel == STORE and store else customer.city.timezone
        hours = STORE_HOURS if channel == STORE else ONLINE_HOURS
        moment = _local_moment(rng, calendar.pick_day(rng, first_day), hours, tz)
        visits.append((_clamp(moment, earliest, latest), channel))
    visits.sort()
    for n, (moment, channel) in enumerate(visits):
        first = n == 0 and joined_in_window
        customer.orders.append(_plan_order(rng, customer, moment, channel, first, anchor))


# ------------------------------------------------------------------ custom events


def _event(
    rng: random.Random, name: str, properties: dict[str, Any], moment: datetime, anchor: datetime
) -> EventPlan:
    return EventPlan(
        client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        name=name,
        properties=properties,
        occurred_at=moment,
        recorded_at=min(moment + timedelta(seconds=rng.randint(0, 30)), anchor),
    )


def _plan_events(rng: random.Random, customer: CustomerPlan, calendar: Calendar) -> None:
    anchor = calendar.anchor
    start = max(customer.created_at, calendar.start)
    active = (anchor - start) / ORDER_WINDOW
    events = customer.events
    if customer.app_user:
        for _ in range(int(rng.triangular(2, 45, 8) * active)):
            moment = _uniform_moment(rng, start, anchor)
            version_index = int(
                (moment - calendar.start) / ORDER_WINDOW * len(catalog.APP_VERSIONS)
            )
            version = catalog.APP_VERSIONS[
                max(0, min(version_index, len(catalog.APP_VERSIONS) - 1))
            ]
            properties: dict[str, Any] = {"platform": customer.platform, "app_version": version}
            events.append(_event(rng, "app_opened", properties, moment, anchor))
    if customer.store:
        store = catalog.STORES[customer.store]
        for _ in range(int(rng.randint(0, 5) * active)):
            moment = _uniform_moment(rng, start, anchor)
            properties = {
                "store_code": store.code,
                "store": store.location,
                "minutes": rng.randint(5, 45),
            }
            events.append(_event(rng, "store_visit", properties, moment, anchor))
    for order in customer.orders:
        if order.status != PAID or rng.random() >= 0.14:
            continue
        moment = order.occurred_at + timedelta(days=rng.uniform(3, 21))
        item = rng.choice(order.items)
        rating = _pick(rng, catalog.RATINGS)
        title = rng.choice(catalog.REVIEW_TITLES[customer.lang][rating])
        if moment > anchor:
            continue
        properties = {
            "order_id": "",
            "sku": item.sku,
            "rating": rating,
            "title": title,
            "language": customer.lang,
        }
        event = _event(rng, "review_written", properties, moment.replace(microsecond=0), anchor)
        event.order = order
        events.append(event)
    if rng.random() < 0.2:
        for _ in range(rng.randint(1, 3)):
            product = rng.choice(catalog.PRODUCTS)
            moment = _uniform_moment(rng, start, anchor)
            events.append(_event(rng, "wishlist_added", {"sku": product.sku}, moment, anchor))
    since = granted_since(customer, "email_marketing")
    if since is not None:
        for _ in range(rng.randint(0, 4)):
            moment = _uniform_moment(rng, max(since, start), anchor)
            properties = {"campaign": catalog.CAMPAIGNS[moment.month]}
            events.append(_event(rng, "newsletter_clicked", properties, moment, anchor))


# ------------------------------------------------------------------ the whole plan


def plan_demo(
    customers: int,
    seed: int,
    anchor: datetime,
    progress: Callable[[int], None] | None = None,
) -> DemoPlan:
    """Plan `customers` customers and their twelve months up to `anchor` (aware)."""
    calendar = Calendar(anchor)
    fakers = {lang: Faker(locale) for lang, locale in catalog.FAKER_LOCALES.items()}
    emails: set[str] = set()
    phones: set[str] = set()
    people: list[CustomerPlan] = []
    for number in range(customers):
        rng = random.Random(f"kizuna-demo:{seed}:{number}")  # noqa: S311 (not a secret)
        customer = _plan_profile(rng, number, fakers, calendar, emails, phones)
        _plan_consents(rng, customer, anchor)
        _plan_orders(rng, customer, calendar)
        _plan_events(rng, customer, calendar)
        people.append(customer)
        if progress is not None:
            progress(number + 1)

    people.sort(key=lambda c: (c.created_at, c.number))
    for n, customer in enumerate(people):
        customer.external_id = f"HT-{100001 + n}"

    orders = sorted(
        (o for c in people for o in c.orders), key=lambda o: (o.occurred_at, o.customer.number)
    )
    sequences: dict[str, int] = {}
    for order in orders:
        prefix = order.store_code or "WEB"
        sequences[prefix] = sequences.get(prefix, 0) + 1
        start = 1001 if order.store_code else 1_000_001
        order.external_id = f"{prefix}-{start + sequences[prefix] - 1}"

    refunds = sorted(
        ((o, r) for o in orders for r in o.refunds), key=lambda pair: pair[1].occurred_at
    )
    for n, (_, refund) in enumerate(refunds):
        refund.external_id = f"RF-{50001 + n}"

    events = sorted(
        ((c, e) for c in people for e in c.events), key=lambda pair: pair[1].occurred_at
    )
    for _, event in events:
        if event.order is not None:
            event.properties["order_id"] = event.order.external_id
    return DemoPlan(anchor=anchor, customers=people, orders=orders, refunds=refunds, events=events)
