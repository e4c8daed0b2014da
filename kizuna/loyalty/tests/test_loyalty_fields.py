"""The loyalty fields of the condition language (issue 7 item 2): a member's standing,
`customer.loyalty.<program>.points`, `.tier`, `.lifetime_points` and `.enrolled_at`, give the
same answers evaluated in memory (as rules read them) and compiled to SQL (as segments read
them), and the right ones; `GET /conditions/fields` lists them for the workspace's programs."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core import clock
from kizuna.core.conditions import Context, compile_condition, evaluate, ops_for, parse
from kizuna.core.models import Workspace
from kizuna.customers.conditions import customer_facts
from kizuna.customers.models import Customer
from kizuna.loyalty.conditions import METRICS as FIELD_TYPES
from kizuna.loyalty.models import Account, Program, Tier
from kizuna.loyalty.tests.support import make_program, order

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
P = "customer.loyalty.tea-club."
TIERS = [
    {"id": "silver", "name": "Silver", "rank": 1,
     "qualify": {"metric": "points_earned", "threshold": 100, "window": "lifetime"}},
    {"id": "gold", "name": "Gold", "rank": 2,
     "qualify": {"metric": "points_earned", "threshold": 300, "window": "lifetime"}},
]  # fmt: skip


def at(moment: datetime, call: Any, *args: Any) -> Any:
    with clock.at(moment):
        response = call(*args)
    assert response.status_code in (200, 201), response.data
    return response


def members(api: ApiClient) -> None:
    """Five customers:
    - `none`: a customer, never a member;
    - `fresh`: joined tea-club on 20 November, no points, no tier;
    - `silver`: joined with an order of 150 on 10 January (silver);
    - `gold`: 400 points earned on 1 March (gold), 250 of them removed by hand: 150 left,
      lifetime 400; also a member of coffee;
    - `early`: joined on 31 January at 23:30 in Tokyo (still January there), 120 points
      earned, 20 of them spent on an order (100 left)."""
    make_program(api, enrolment="explicit")
    for tier in TIERS:
        assert api.post("/programs/tea-club/tiers", tier).status_code == 201
    coffee = {"id": "coffee", "name": "Coffee", "enrolment": "explicit", "status": "active"}
    assert api.post("/programs", {**coffee, "currency": "USD"}).status_code == 201
    for customer in sorted(ALL):
        at(datetime(2026, 1, 1, tzinfo=UTC), api.put, f"/customers/{customer}", {})

    def join(customer: str, moment: datetime, program: str = "tea-club") -> None:
        at(moment, api.post, f"/programs/{program}/members", {"customer_id": customer})

    def buy(customer: str, external_id: str, total: str, moment: datetime, **extra: Any) -> None:
        body = order(external_id, customer, total=total, occurred_at=moment.isoformat(), **extra)
        at(moment, api.post, "/orders", body)

    join("fresh", datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    join("silver", datetime(2026, 1, 10, 3, 0, tzinfo=UTC))
    buy("silver", "s1", "150.00", datetime(2026, 1, 10, 4, 0, tzinfo=UTC))
    join("gold", datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    join("gold", datetime(2026, 3, 1, 3, 0, tzinfo=UTC), "coffee")
    buy("gold", "g1", "400.00", datetime(2026, 3, 1, 4, 0, tzinfo=UTC))
    removed = {"points": -250, "reason": "Goodwill reversed"}
    at(NOW, api.post, "/customers/gold/loyalty/tea-club/adjustments", removed)
    join("early", datetime(2026, 1, 31, 14, 30, tzinfo=UTC))
    buy("early", "e1", "120.00", datetime(2026, 2, 2, 3, 0, tzinfo=UTC))
    paid = [{"method": "points", "amount": "2.00", "points": 20, "program_id": "tea-club"}]
    # An order wholly paid with points earns nothing.
    buy("early", "e2", "2.00", datetime(2026, 2, 3, 3, 0, tzinfo=UTC), payments=paid)


def in_memory(workspace: NewWorkspace, condition: Any) -> set[str]:
    """The customers the condition holds for, evaluated as rules evaluate it."""
    ws = workspace.workspace
    parsed = parse(condition, workspace=ws, subjects={"customer"})
    chosen = set()
    for customer in Customer.objects.filter(workspace=ws):
        context = Context(now=NOW, tz=ZoneInfo(ws.timezone), **customer_facts(customer))
        if evaluate(parsed, context):
            chosen.add(customer.external_id)
    return chosen


def in_sql(api: ApiClient, condition: Any) -> set[str]:
    """The customers the condition selects compiled to SQL: a segment's members, now."""
    created = api.post("/segments", {"id": "probe", "name": "Probe", "condition": condition})
    assert created.status_code == 201, created.data
    with clock.at(NOW):
        listed = api.get("/segments/probe/customers?limit=100")
    assert listed.status_code == 200, listed.data
    return {c["external_id"] for c in listed.data["data"]}


ALL = {"none", "fresh", "silver", "gold", "early"}
CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"field": P + "points", "op": "gte", "value": 150}, {"silver", "gold"}),
    ({"field": P + "points", "op": "eq", "value": 100}, {"early"}),
    ({"field": P + "points", "op": "lt", "value": 100}, {"fresh"}),
    ({"not": {"field": P + "points", "op": "gte", "value": 100}}, {"fresh", "none"}),
    ({"field": P + "points", "op": "between", "value": [1, 149]}, {"early"}),
    ({"field": P + "points", "op": "in", "value": [0, 150]}, {"fresh", "silver", "gold"}),
    ({"field": P + "points", "op": "exists"}, ALL - {"none"}),
    ({"field": P + "points", "op": "not_exists"}, {"none"}),
    ({"field": P + "lifetime_points", "op": "gt", "value": 150}, {"gold"}),
    ({"field": P + "lifetime_points", "op": "eq", "value": 120}, {"early"}),
    ({"field": P + "lifetime_points", "op": "lte", "value": 120}, {"fresh", "early"}),
    ({"field": P + "tier", "op": "eq", "value": "gold"}, {"gold"}),
    ({"field": P + "tier", "op": "in", "value": ["silver", "gold"]}, {"silver", "gold", "early"}),
    ({"field": P + "tier", "op": "ne", "value": "gold"}, {"silver", "early"}),
    ({"field": P + "tier", "op": "not_in", "value": ["gold"]}, {"silver", "early"}),
    ({"field": P + "tier", "op": "starts_with", "value": "sil"}, {"silver", "early"}),
    ({"field": P + "tier", "op": "exists"}, {"silver", "gold", "early"}),
    ({"field": P + "tier", "op": "not_exists"}, {"none", "fresh"}),
    ({"not": {"field": P + "tier", "op": "eq", "value": "gold"}}, ALL - {"gold"}),
    ({"field": P + "enrolled_at", "op": "within_last", "value": "30d"}, {"fresh"}),
    ({"field": P + "enrolled_at", "op": "not_within_last", "value": "30d"},
     {"silver", "gold", "early"}),
    ({"field": P + "enrolled_at", "op": "before", "value": "2026-02-01T00:00:00+09:00"},
     {"silver", "early"}),
    ({"field": P + "enrolled_at", "op": "after", "value": "2026-02-01T00:00:00+09:00"},
     {"gold", "fresh"}),
    ({"field": "customer.loyalty.coffee.points", "op": "eq", "value": 0}, {"gold"}),
    ({"field": "customer.loyalty.coffee.tier", "op": "not_exists"}, ALL),
    ({"all": [{"field": P + "tier", "op": "eq", "value": "gold"},
              {"field": "customer.loyalty.coffee.enrolled_at", "op": "exists"}]}, {"gold"}),
    ({"any": [{"field": P + "points", "op": "gt", "value": 140},
              {"field": P + "enrolled_at", "op": "within_last", "value": "1w"}]},
     {"silver", "gold", "fresh"}),
]  # fmt: skip


def test_the_standing_of_each_customer_is_as_their_ledger_says(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    members(api)
    with clock.at(NOW):
        data = {c: api.get(f"/customers/{c}/loyalty").data["data"] for c in ALL}
    tea = {c: [p for p in data[c] if p["program_id"] == "tea-club"] for c in ALL}
    assert {c: (v[0]["points"]["active"], v[0]["points"]["lifetime_earned"], v[0]["tier"]["id"])
            for c, v in tea.items() if v} == {
        "fresh": (0, 0, None), "silver": (150, 150, "silver"), "gold": (150, 400, "gold"),
        "early": (100, 120, "silver"),
    }  # fmt: skip
    assert tea["none"] == []


@pytest.mark.parametrize(("condition", "want"), CASES)
def test_in_memory_and_in_sql_give_the_same_right_answer(
    api: ApiClient, workspace: NewWorkspace, condition: Any, want: set[str]
) -> None:
    members(api)
    memory = in_memory(workspace, condition)
    sql = in_sql(api, condition)
    assert (memory, sql) == (want, want)


def test_a_segment_and_an_earning_rule_read_the_same_fields(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    members(api)
    gold = {"field": P + "tier", "op": "eq", "value": "gold"}
    segment = api.post("/segments", {"id": "gold", "name": "Gold", "condition": gold})
    assert segment.status_code == 201, segment.data
    with clock.at(NOW):
        listed = api.get("/segments/gold/customers").data["data"]
    assert [c["external_id"] for c in listed] == ["gold"]

    bonus = {"id": "gold-bonus", "name": "Gold bonus", "trigger": {"type": "order_paid"},
             "condition": gold, "effect": {"type": "fixed", "points": 30}}  # fmt: skip
    assert api.post("/programs/tea-club/earning-rules", bonus).status_code == 201
    earned = {}
    for customer in ("silver", "gold"):
        with clock.at(NOW):
            response = api.post(
                "/orders",
                order(f"{customer}-2", customer, total="10.00", occurred_at=NOW.isoformat()),
            )
        earned[customer] = response.data["loyalty"][0]["points_earned"]
    assert earned == {"silver": 10, "gold": 10 + 30}


def test_the_fields_are_listed_for_the_workspaces_programs(
    api: ApiClient, other_api: ApiClient
) -> None:
    before = {f["name"] for f in api.get("/conditions/fields").data["data"]}
    assert not [n for n in before if n.startswith("customer.loyalty.")]
    members(api)
    make_program(other_api, [], id="elsewhere")
    fields = {f["name"]: f for f in api.get("/conditions/fields").data["data"]}
    loyalty = sorted(n for n in fields if n.startswith("customer.loyalty."))
    assert loyalty == [
        f"customer.loyalty.{program}.{metric}"
        for program in ("coffee", "tea-club")
        for metric in ("enrolled_at", "lifetime_points", "points", "tier")
    ]
    types = {n.rsplit(".", 1)[1]: fields[n]["type"] for n in loyalty}
    assert types == {
        "points": "integer",
        "lifetime_points": "integer",
        "tier": "string",
        "enrolled_at": "datetime",
    }
    for name in loyalty:
        field = fields[name]
        assert (field["subject"], field["in_memory"], field["in_sql"]) == ("customer", True, True)
        assert field["example"]["field"] == name
        checked = api.post("/segments/preview", {"condition": field["example"]})
        assert checked.status_code == 200, (name, checked.data)
    assert "within_last" in fields[P + "enrolled_at"]["ops"]
    assert "starts_with" in fields[P + "tier"]["ops"]
    assert "gte" in fields[P + "points"]["ops"] and "contains" not in fields[P + "points"]["ops"]


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("customer.loyalty.elsewhere.points", "condition.field"),
        ("customer.loyalty.tea-club.stars", "condition.field"),
        ("customer.loyalty.points", "condition.field"),
    ],
)
def test_an_unknown_program_or_metric_is_an_unknown_field(
    api: ApiClient, other_api: ApiClient, field: str, path: str
) -> None:
    make_program(api)
    make_program(other_api, [], id="elsewhere")
    body = {"id": "s", "name": "S", "condition": {"field": field, "op": "exists"}}
    response = api.post("/segments", body)
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        422,
        "invalid_condition",
        path,
    ), response.data
    assert api.get("/segments").data["data"] == []


# ------------------------------------------------------------------ random standings

_slugs = itertools.count()
METRIC_VALUES: dict[str, list[Any]] = {
    "points": [-5, 0, 1, 99, 100, 150],
    "lifetime_points": [0, 100, 120, 400],
    "tier": ["silver", "gold", "sil", "GOLD"],
    "enrolled_at": ["2026-11-01T00:00:00+09:00", "2026-01-31T15:00:00Z"],
}
TEXT_OPS = ("contains", "not_contains", "starts_with", "ends_with")


@st.composite
def standings(draw: st.DrawFn) -> dict[str, Any] | None:
    """A customer's account in one program, or None for a non-member."""
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    return {
        "active": draw(st.sampled_from([-5, 0, 1, 99, 100, 150, 400])),
        "lifetime_earned": draw(st.sampled_from([0, 100, 120, 400])),
        "tier": draw(st.sampled_from([None, "silver", "gold"])),
        "enrolled_days_ago": draw(st.sampled_from([0, 1, 29, 30, 31, 300])),
    }


@st.composite
def loyalty_leaves(draw: st.DrawFn) -> dict[str, Any]:
    program = draw(st.sampled_from(["tea-club", "coffee"]))
    metric = draw(st.sampled_from(sorted(METRIC_VALUES)))
    name = f"customer.loyalty.{program}.{metric}"
    op = draw(st.sampled_from(ops_for(FIELD_TYPES[metric][0])))
    leaf: dict[str, Any] = {"field": name, "op": op}
    pool = METRIC_VALUES[metric]
    if op in ("exists", "not_exists"):
        return leaf
    if op in ("in", "not_in"):
        leaf["value"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    elif op == "between":
        low, high = sorted(draw(st.lists(st.sampled_from(pool[:4]), min_size=2, max_size=2)))
        leaf["value"] = [low, high]
    elif op in ("within_last", "not_within_last"):
        leaf["value"] = draw(st.sampled_from(["1d", "30d", "1y"]))
    elif op in TEXT_OPS:
        leaf["value"] = draw(st.sampled_from(["sil", "old", "G", "ver"]))
    else:
        leaf["value"] = draw(st.sampled_from(pool))
    return leaf


LOYALTY_CONDITIONS = st.recursive(
    loyalty_leaves(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=4,
)


def store_standings(plans: list[dict[str, dict[str, Any] | None]]) -> Workspace:
    workspace = Workspace.objects.create(
        slug=f"fields-{next(_slugs)}", name="x", default_currency="USD", timezone="Asia/Tokyo"
    )
    programs = {
        key: Program.objects.create(
            workspace=workspace, key=key, name=key, currency="USD", timezone="Asia/Tokyo",
            status="active", returns={"clawback": True, "allow_negative": True},
        )
        for key in ("tea-club", "coffee")
    }  # fmt: skip
    tiers = {
        (key, tier): Tier.objects.create(
            workspace=workspace, program=program, key=tier, name=tier, rank=rank,
            qualify={"metric": "points_earned", "threshold": rank * 100,
                     "window": "calendar_year"},
        )
        for key, program in programs.items()
        for rank, tier in enumerate(["silver", "gold"], start=1)
    }  # fmt: skip
    customers = Customer.objects.bulk_create(
        Customer(workspace=workspace, external_id=f"c{n}") for n in range(len(plans))
    )
    Account.objects.bulk_create(
        Account(
            workspace=workspace, program=programs[key], customer=customer,
            enrolled_at=NOW - timedelta(days=plan["enrolled_days_ago"], minutes=n),
            active=plan["active"], lifetime_earned=plan["lifetime_earned"], allow_negative=True,
            tier=tiers[(key, plan["tier"])] if plan["tier"] else None,
        )
        for n, (customer, by_program) in enumerate(zip(customers, plans, strict=True))
        for key, plan in by_program.items()
        if plan is not None
    )  # fmt: skip
    return workspace


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(
        st.fixed_dictionaries({"tea-club": standings(), "coffee": standings()}),
        min_size=1,
        max_size=6,
    ),
    conditions=st.lists(LOYALTY_CONDITIONS, min_size=1, max_size=8),
)
def test_memory_and_sql_agree_on_random_standings(
    plans: list[dict[str, dict[str, Any] | None]], conditions: list[Any]
) -> None:
    workspace = store_standings(plans)
    tz = ZoneInfo("Asia/Tokyo")
    customers = list(Customer.objects.filter(workspace=workspace))
    for data in conditions:
        parsed = parse(data, workspace=workspace, subjects={"customer"})
        q = compile_condition(parsed, workspace=workspace, now=NOW, tz=tz)
        sql = set(Customer.objects.for_workspace(workspace).filter(q).values_list("pk", flat=True))
        memory = {
            c.pk
            for c in customers
            if evaluate(parsed, Context(now=NOW, tz=tz, **customer_facts(c)))
        }
        assert sql == memory, data
        event("selected: " + ("none" if not sql else "all" if len(sql) == len(plans) else "some"))
