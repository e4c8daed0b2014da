"""What a program, or one of its rules, would give, with nothing written: for one order or
event (rule by rule, as the engine computes it), or over the stored orders of a date range
(a backtest), computed in SQL in bulk.

The backtest reads each order-paid rule's condition compiled to SQL over orders and prices
every order in one query per rule: fixed points, or points proportional to the order's total,
subtotal, or the value or quantity of its matching items, rounded and capped as the rule says;
then multiplier rules on the sum. It shows what the rules give, not what members would have
received: per-member limits, budgets, tiers, stop_after and pending windows depend on the
order of events and are left out (the simulation of one order applies them all)."""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from math import gcd
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, Round, TruncMonth

from kizuna.core import conditions as c
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer, CustomEvent
from kizuna.customers.services.custom_events import check_event_name
from kizuna.loyalty.models import Account, EarningRule, Program
from kizuna.loyalty.services import earning
from kizuna.loyalty.services.facts import event_fact, order_fact
from kizuna.loyalty.services.programs import get_program
from kizuna.loyalty.services.rules import get_rule
from kizuna.orders.conditions.behaviour import OrderFacts, order_histories
from kizuna.orders.models import Order, OrderItem, OrderStatus
from kizuna.orders.services.orders import check_order, item_rows, order_row

TOP_CUSTOMERS = 10


def simulate(
    workspace: Workspace, program_key: str, rule_key: str | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    program = get_program(workspace, program_key)
    rules = [get_rule(program, rule_key)] if rule_key else None
    given = [k for k in ("order", "event", "backtest") if data.get(k) is not None]
    if len(given) != 1:
        raise ValidationFailed(
            "Send one of order, event or backtest.", code="simulation_input", field="order"
        )
    if data.get("backtest") is not None:
        return backtest(program, rules, data["backtest"])
    fact = (
        _order_fact(workspace, data["order"])
        if data.get("order") is not None
        else _event_fact(workspace, data["event"])
    )
    account = (
        one_or_none(
            Account.objects.filter(program=program, customer_id=fact.customer.pk).select_related(
                "tier"
            )
        )
        if fact.customer.pk
        else None
    )
    chosen = rules if rules is not None else earning.active_rules(program, fact.trigger)
    awards = earning.compute(program, account, fact, chosen, dry_run=True)
    total = sum(a.points for a in awards)
    return {
        "points": total,
        # Of them, the points that would wait (the program's pending policy, as `record`
        # judges it for an order placed at the fact's time).
        "pending": total if earning.would_be_pending(program, fact) else 0,
        "breakdown": [
            {"rule_id": a.rule.key, "points": a.points, "reason": a.reason} for a in awards
        ],
    }


@contextmanager
def _within(root: str) -> Iterator[None]:
    """Faults of the simulated order or event, named by their path in the request body."""
    try:
        yield
    except ValidationFailed as error:
        error.field = f"{root}.{error.field}" if error.field else root
        for detail in error.details:
            if detail.get("field"):
                detail["field"] = f"{root}.{detail['field']}"
        raise


def _customer(workspace: Workspace, external_id: Any) -> Customer:
    customer = one_or_none(
        Customer.objects.for_workspace(workspace).filter(external_id=external_id)
    )
    return customer or Customer(workspace=workspace, external_id=str(external_id))


def _order_fact(workspace: Workspace, body: Any) -> earning.Fact:
    if not isinstance(body, Mapping):
        raise ValidationFailed(
            "order is an order as POST /orders takes it.", code="simulation_input", field="order"
        )
    with _within("order"):
        checked = check_order(body)
    order = order_row(workspace, _customer(workspace, checked.customer_id), checked)
    items = item_rows(order, checked)
    fact = order_fact(order, items)
    # The engine stores an order before it earns, so `customer.orders.*` count it: the
    # simulated order joins the customer's history here, in memory only.
    fact.facts["customer_orders"] = c.Lazy(lambda: _history_with(order, items))
    return fact


def _history_with(order: Order, items: Sequence[OrderItem]) -> list[OrderFacts]:
    customer = order.customer
    history = order_histories(customer.workspace, [customer.pk])[customer.pk] if customer.pk else []
    stored = Order.objects.for_workspace(customer.workspace).filter(external_id=order.external_id)
    if customer.pk is not None and stored.exists():
        return history  # a known order is not stored (nor counted) again
    own = OrderFacts(
        order.status,
        order.currency,
        order.total,
        Decimal(0),
        order.occurred_at,
        frozenset(item.sku for item in items if item.sku),
        frozenset(item.category for item in items if item.category),
    )
    return [*history, own]


def _event_fact(workspace: Workspace, body: Any) -> earning.Fact:
    if not isinstance(body, Mapping) or not isinstance(body.get("name"), str):
        raise ValidationFailed(
            "event is an event as POST /events takes it.", code="simulation_input", field="event"
        )
    with _within("event"):
        check_event_name(body["name"])
    event = CustomEvent(
        workspace=workspace,
        customer=_customer(workspace, body.get("customer_id", "simulation")),
        client_id=str(body.get("id", "simulation")),
        name=body["name"],
        properties=dict(body.get("properties") or {}),
        occurred_at=body.get("occurred_at") or earning.now(),
    )
    return event_fact(event)


# ------------------------------------------------------------------ backtest


def _moment(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationFailed("A time with an offset.", code="invalid_datetime", field=field)
    return value


# Money columns keep four decimals: a money base is priced in ten-thousandths, as a whole number.
MONEY_SCALE = 10_000


def _whole(expression: Any) -> Any:
    return ExpressionWrapper(expression, output_field=BigIntegerField())


def _times_fraction(units: Any, numerator: int, denominator: int, rounding: str) -> Any:
    """`units × numerator / denominator`, rounded, in whole-number SQL: exact on every
    database (no binary floating point on SQLite, no numeric quirks on PostgreSQL), as the
    engine computes with decimals. `units` is a non-negative whole-number expression; the
    quotient is split so the product cannot overflow: (u / d) × n + ((u % d) × n) / d."""
    units = Cast(units, BigIntegerField())  # PostgreSQL sums bigints as numeric
    divisor = gcd(numerator, denominator) or 1
    n, d = numerator // divisor, denominator // divisor
    whole = _whole(_whole(units / Value(d)) * Value(n))
    rest = _whole(_whole(units % Value(d)) * Value(n))
    if rounding == "up":
        part = _whole((rest + Value(d - 1)) / Value(d))
    elif rounding == "nearest":  # half up
        part = _whole((rest * Value(2) + Value(d)) / Value(2 * d))
    else:
        part = _whole(rest / Value(d))
    return _whole(whole + part)


def _fraction(value: Decimal) -> tuple[int, int]:
    """A decimal as numerator and power-of-ten denominator: 1.25 -> (125, 100)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    scale = 10 ** max(0, -exponent)
    return int(value * scale), scale


def _points_expression(program: Program, rule: EarningRule) -> Any:
    """The points the rule gives an order, as an SQL expression over orders."""
    effect = rule.effect
    if effect["type"] == "fixed":
        return Value(effect["points"])
    base = effect["base"]
    money = base != "items_quantity"
    if base in ("total", "subtotal"):
        units: Any = Cast(Round(F(base) * Value(MONEY_SCALE)), BigIntegerField())
    else:
        items = OrderItem.objects.filter(order_id=OuterRef("pk"))
        if effect.get("item_condition"):
            parsed = earning.parsed(program, effect["item_condition"], "item_condition")
            items = items.filter(c.compile(parsed, workspace=program.workspace, scope="item"))
        column = (
            F("quantity")
            if not money
            else Cast(Round(F("unit_price") * Value(MONEY_SCALE)), BigIntegerField())
            * F("quantity")
        )
        total = items.values("order_id").annotate(v=Sum(column)).values("v")
        units = Coalesce(Subquery(total), Value(0), output_field=BigIntegerField())
    # points × base / per: with per = p / q, and money in ten-thousandths.
    per_numerator, per_denominator = _fraction(Decimal(effect["per"]))
    raw: Any = _times_fraction(
        units,
        effect["points"] * per_denominator,
        per_numerator * (MONEY_SCALE if money else 1),
        effect["rounding"],
    )
    if effect.get("max_points") is not None:
        raw = Least(raw, Value(effect["max_points"]), output_field=BigIntegerField())
    if money:
        # Money bases give nothing in another currency than the program's.
        raw = Case(
            When(currency=program.currency, then=raw),
            default=Value(0),
            output_field=BigIntegerField(),
        )
    return raw


def backtest(program: Program, rules: list[EarningRule] | None, window: Any) -> dict[str, Any]:
    if not isinstance(window, Mapping):
        raise ValidationFailed(
            'backtest is {"from": time, "to": time}.', code="simulation_input", field="backtest"
        )
    start = _moment(window.get("from"), "backtest.from")
    end = _moment(window.get("to"), "backtest.to")
    if start >= end:
        raise ValidationFailed(
            "from comes before to.", code="simulation_input", field="backtest.to"
        )
    chosen = rules if rules is not None else earning.active_rules(program, "order_paid")
    orders = Order.objects.for_workspace(program.workspace).filter(
        status=OrderStatus.PAID, occurred_at__gte=start, occurred_at__lt=end
    )
    base_terms: list[Any] = []
    factors: list[tuple[Q | None, Decimal]] = []
    for rule in chosen:
        if rule.trigger.get("type") != "order_paid":
            continue
        expression = (
            _points_expression(program, rule) if rule.effect["type"] != "multiplier" else None
        )
        condition: Q | None = None
        if rule.condition:
            condition = c.compile(
                earning.parsed(program, rule.condition, "condition"),
                workspace=program.workspace,
                scope="order",
            )
        if expression is None:
            factors.append((condition, Decimal(rule.effect["factor"])))
        else:
            base_terms.append(_when(condition, expression))
    if not base_terms:
        points: Any = Value(0, output_field=BigIntegerField())
    else:
        points = base_terms[0]
        for term in base_terms[1:]:
            points = points + term
    base = points
    for condition, factor in factors:
        if factor <= 1:
            continue  # as in the engine: a factor of 1 or less adds nothing
        # As the engine does: each multiplier adds (factor - 1) x the base points, down.
        numerator, denominator = _fraction(factor - 1)
        points = points + _when(condition, _times_fraction(base, numerator, denominator, "down"))
    scored = orders.annotate(scored_points=_whole(points))
    totals = scored.aggregate(order_count=Count("pk"), point_total=Sum("scored_points"))
    by_month = (
        scored.annotate(month=TruncMonth("occurred_at", tzinfo=_tz(program)))
        .values("month")
        .annotate(month_points=Sum("scored_points"))
        .order_by("month")
    )
    by_customer = (
        scored.filter(scored_points__gt=0)
        .values("customer__external_id")
        .annotate(customer_points=Sum("scored_points"))
        .order_by("-customer_points", "customer__external_id")
    )
    return {
        "orders_considered": totals["order_count"] or 0,
        "customers_affected": by_customer.count(),
        "points_total": int(totals["point_total"] or 0),
        "points_by_month": [
            {"month": row["month"].strftime("%Y-%m"), "points": int(row["month_points"] or 0)}
            for row in by_month
        ],
        "top_customers": [
            {"customer_id": row["customer__external_id"], "points": int(row["customer_points"])}
            for row in by_customer[:TOP_CUSTOMERS]
        ],
    }


def _when(condition: Q | None, expression: Any) -> Any:
    """`expression` where the condition holds (everywhere without one), 0 elsewhere."""
    if condition is None:
        return _whole(expression)
    return Case(When(condition, then=expression), default=Value(0), output_field=BigIntegerField())


def _tz(program: Program) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(program.timezone)
