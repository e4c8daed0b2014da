"""The loyalty fields of the condition language, registered at start-up by
`LoyaltyConfig.ready()`: a member's standing in a program,
`customer.loyalty.<program>.points` (active points), `.lifetime_points`, `.tier` (the tier's
id) and `.enrolled_at`; missing when the customer is not a member.

In memory they read the fact `loyalty_accounts` ({program id: account}), which
`customer_facts` provides lazily for every customer."""

from typing import Any

from django.db.models import F, Q

from kizuna.core import conditions as c
from kizuna.core.conditions import MISSING, Context, FieldSpec, Getter, Leaf, SqlContext
from kizuna.loyalty.models import Account, Program

PREFIX = "customer.loyalty."
# metric -> (type, the account column or path, description, example)
METRICS: dict[str, tuple[c.ValueType, str, str, tuple[str, Any]]] = {
    "points": (c.INTEGER, "active", "The member's active points.", ("gte", 500)),
    "lifetime_points": (
        c.INTEGER,
        "lifetime_earned",
        "Points the member has earned in all.",
        ("gte", 5000),
    ),
    "tier": (
        c.STRING,
        "tier__key",
        "The id of the member's tier; missing without one.",
        ("eq", "gold"),
    ),
    "enrolled_at": (
        c.DATETIME_TYPE,
        "enrolled_at",
        "When the customer joined the program.",
        ("within_last", "30d"),
    ),
}


def loyalty_facts(customer: Any) -> dict[str, Any]:
    """The fact the loyalty fields read in memory, loaded only if read."""

    def accounts() -> dict[str, Account]:
        return {
            account.program.key: account
            for account in Account.objects.filter(customer=customer).select_related(
                "program", "tier"
            )
        }

    return {"loyalty_accounts": c.Lazy(accounts)}


def _value(account: Account, metric: str) -> Any:
    if metric == "tier":
        return account.tier_key or MISSING
    return getattr(account, METRICS[metric][1])


def loyalty_field(program: str, metric: str) -> FieldSpec:
    name = f"{PREFIX}{program}.{metric}"
    vtype, column, description, (op, value) = METRICS[metric]

    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            accounts = ctx.get("loyalty_accounts")
            if accounts is MISSING or program not in accounts:
                return MISSING
            return _value(accounts[program], metric)

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        accounts = Account.objects.for_workspace(ctx.workspace).filter(program__key=program)
        if metric == "tier":
            accounts = accounts.filter(tier__isnull=False)
        rows = accounts.values("customer_id").annotate(v=F(column))
        return c.per_row_q(leaf, ctx, rows, link="customer_id", ref=ctx.ref("customer"))

    return FieldSpec(
        name=name,
        type=vtype,
        subject="customer",
        description=f"{description} (program {program})",
        example={"field": name, "op": op, "value": value},
        in_memory=in_memory,
        in_sql=in_sql,
    )


def _resolve(parameter: str, resolution: c.Resolution) -> FieldSpec | None:
    program, _, metric = parameter.rpartition(".")
    if metric not in METRICS or not program:
        return None
    if resolution.workspace is not None:
        known = resolution.cache.get("loyalty.programs")
        if known is None:
            known = resolution.cache["loyalty.programs"] = set(
                Program.objects.for_workspace(resolution.workspace).values_list("key", flat=True)
            )
        if program not in known:
            return None
    return loyalty_field(program, metric)


def _listing(resolution: c.Resolution) -> list[FieldSpec]:
    workspace = resolution.workspace
    if workspace is None:
        return []
    keys = Program.objects.for_workspace(workspace).order_by("key").values_list("key", flat=True)
    return [loyalty_field(key, metric) for key in keys for metric in METRICS]


def register(registry: c.Registry = c.registry) -> None:
    registry.register_family(
        c.FieldFamily(
            prefix=PREFIX,
            placeholder="<program>.<points|lifetime_points|tier|enrolled_at>",
            subject="customer",
            description="The customer's standing in a loyalty program.",
            resolve=_resolve,
            listing=_listing,
            unknown="No loyalty field {name!r}: name a program and points, lifetime_points, "
            "tier or enrolled_at.",
        )
    )
