"""What the demo's people do: orders with their payments, status changes and refunds (priced
by the refund service's own pricing), and custom events."""

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from kizuna.core.money import round_amount
from kizuna.demo import catalog
from kizuna.demo.calendar import (
    ONLINE_HOURS,
    ORDER_WINDOW,
    STORE_HOURS,
    Calendar,
    clamp,
    local_moment,
    pick,
    uniform_moment,
)
from kizuna.demo.catalog import Product
from kizuna.demo.people import granted_since
from kizuna.demo.plans import (
    APP,
    CANCELLED,
    ONLINE,
    PAID,
    PENDING,
    STORE,
    CustomerPlan,
    EventPlan,
    ItemPlan,
    OrderPlan,
    RefundPlan,
    StatusChange,
)
from kizuna.orders.services.refund_pricing import apply_refund, price_refund


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
    wanted = pick(rng, LINES)
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
            quantity=pick(rng, QUANTITIES),
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

    payment = pick(rng, market.store_payments if store else market.online_payments)
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


def _simulate_refunds(rng: random.Random, order: OrderPlan, anchor: datetime) -> None:
    """Refunds by items or by amount, priced by the refund service's own pricing (what the
    refunded units cost the customer, and never more than is left to refund)."""
    kind = "store" if order.channel == STORE else "online"
    moment = order.changes[-1].occurred_at if order.changes else order.recorded_at
    count = 2 if rng.random() < 0.15 else 1
    for _ in range(count):
        moment += timedelta(days=rng.uniform(2, 25))
        moment = moment.replace(microsecond=0)
        remaining = order.total - order.refunded_total
        if moment > anchor or remaining <= 0:
            return
        refundable = [item for item in order.items if item.quantity > item.refunded_quantity]
        items: list[dict[str, Any]] | None = None
        if refundable and rng.random() < 0.65:
            item = rng.choice(refundable)
            take = rng.randint(1, item.quantity - item.refunded_quantity)
            items = [{"sku": item.sku, "quantity": take}]
            lines, amount = price_refund(order, order.items, items, None)
            if amount <= 0:
                return
            reason = rng.choice(catalog.ITEM_REFUND_REASONS[kind])
        elif 0 < order.shipping_total <= remaining and rng.random() < 0.3:
            lines, amount = [], order.shipping_total
            reason = catalog.SHIPPING_REFUND_REASON
        else:
            percent = Decimal(rng.randint(10, 30))
            amount = min(round_amount(order.total * percent / 100, order.currency), remaining)
            if amount <= 0:
                return
            lines = []
            reason = rng.choice(catalog.AMOUNT_REFUND_REASONS[kind])
        apply_refund(order, order.items, lines, amount)
        recorded_at = min(moment + timedelta(seconds=rng.randint(1, 60)), anchor)
        order.refunds.append(RefundPlan(items, amount, reason, moment, recorded_at))


ORDER_COUNTS: tuple[tuple[tuple[int, int], int], ...] = (
    ((0, 0), 14),
    ((1, 1), 36),
    ((2, 4), 30),
    ((5, 10), 15),
    ((11, 24), 5),
)


def plan_orders(rng: random.Random, customer: CustomerPlan, calendar: Calendar) -> None:
    anchor = calendar.anchor
    lo, hi = pick(rng, ORDER_COUNTS)
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
        channel = pick(rng, weights)
        store = catalog.STORES.get(customer.store or "")
        tz = store.timezone if channel == STORE and store else customer.city.timezone
        hours = STORE_HOURS if channel == STORE else ONLINE_HOURS
        moment = local_moment(rng, calendar.pick_day(rng, first_day), hours, tz)
        visits.append((clamp(moment, earliest, latest), channel))
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


def plan_events(rng: random.Random, customer: CustomerPlan, calendar: Calendar) -> None:
    anchor = calendar.anchor
    start = max(customer.created_at, calendar.start)
    active = (anchor - start) / ORDER_WINDOW
    events = customer.events
    if customer.app_user:
        for _ in range(int(rng.triangular(2, 45, 8) * active)):
            moment = uniform_moment(rng, start, anchor)
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
            moment = uniform_moment(rng, start, anchor)
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
        rating = pick(rng, catalog.RATINGS)
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
            moment = uniform_moment(rng, start, anchor)
            events.append(_event(rng, "wishlist_added", {"sku": product.sku}, moment, anchor))
    since = granted_since(customer, "email_marketing")
    if since is not None:
        for _ in range(rng.randint(0, 4)):
            moment = uniform_moment(rng, max(since, start), anchor)
            properties = {"campaign": catalog.CAMPAIGNS[moment.month]}
            events.append(_event(rng, "newsletter_clicked", properties, moment, anchor))
