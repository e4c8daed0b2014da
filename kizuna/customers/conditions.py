"""The customer fields of the condition language, registered at start-up by
`CustomersConfig.ready()`: the profile, typed attributes, consent per channel, when the
customer was created, and the count of custom events.

In memory they read these facts of a `Context` (see `customer_facts`):
- `customer`: the `Customer` row;
- `customer_consents`: {channel: status};
- `customer_events`: the customer's custom events, as (name, occurred_at) pairs.
A fact may be `Lazy`, loaded only when a condition reads it."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.lookups import Exact, In

from kizuna.core import conditions as c
from kizuna.core.conditions import MISSING, Context, FieldSpec, Getter, Leaf, SqlContext
from kizuna.customers.models import (
    AttributeDefinition,
    AttributeType,
    Consent,
    ConsentChannel,
    ConsentStatus,
    Customer,
    CustomEvent,
)
from kizuna.customers.services.custom_events import EVENT_NAME

SUBJECT = "customer"


# ------------------------------------------------------------------ profile


def _profile_text(name: str, description: str, example: str) -> FieldSpec:
    """A profile text column; empty text is a missing value."""

    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            customer = ctx.get("customer")
            if customer is MISSING:
                return MISSING
            return getattr(customer, name) or MISSING

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        path = ctx.path(SUBJECT, name)
        return c.scalar_q(leaf, ctx, path, ~Q(**{path: ""}))

    return FieldSpec(
        name=f"customer.{name}",
        type=c.STRING,
        subject=SUBJECT,
        description=description,
        example={"field": f"customer.{name}", "op": "eq", "value": example},
        in_memory=in_memory,
        in_sql=in_sql,
        reads_row=True,
    )


def _birthdate() -> FieldSpec:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            customer = ctx.get("customer")
            if customer is MISSING or customer.birthdate is None:
                return MISSING
            return customer.birthdate

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        path = ctx.path(SUBJECT, "birthdate")
        return c.scalar_q(leaf, ctx, path, Q(**{f"{path}__isnull": False}))

    return FieldSpec(
        name="customer.birthdate",
        type=c.DATE,
        subject=SUBJECT,
        description="The customer's date of birth.",
        example={"field": "customer.birthdate", "op": "before", "value": "2000-01-01"},
        in_memory=in_memory,
        in_sql=in_sql,
        reads_row=True,
    )


def _created_at() -> FieldSpec:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            customer = ctx.get("customer")
            return MISSING if customer is MISSING else customer.created_at

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        return c.scalar_q(leaf, ctx, ctx.path(SUBJECT, "created_at"), c.TRUE)

    return FieldSpec(
        name="customer.created_at",
        type=c.DATETIME_TYPE,
        subject=SUBJECT,
        description="When Kizuna first heard of the customer.",
        example={"field": "customer.created_at", "op": "within_last", "value": "30d"},
        in_memory=in_memory,
        in_sql=in_sql,
        reads_row=True,
    )


PROFILE_TEXT = {
    "external_id": ("The customer's id in the integrator's system.", "cust-1001"),
    "email": ("Email address.", "aiko@example.com"),
    "phone": ("Phone number.", "+81 90-1234-5678"),
    "first_name": ("Given name.", "Aiko"),
    "last_name": ("Family name.", "Tanaka"),
    "locale": ("Language and region, BCP 47 (ja, ja-JP, ko-KR).", "ja-JP"),
    "timezone": ("IANA time zone.", "Asia/Tokyo"),
}


# ------------------------------------------------------------------ attributes

_ATTRIBUTE_TYPES = {
    AttributeType.STRING: c.STRING,
    AttributeType.NUMBER: c.NUMBER,
    AttributeType.BOOLEAN: c.BOOLEAN,
    AttributeType.DATE: c.DATE,
}


# eq and in hold on a hit; ne and not_in on a present value that is no hit.
_EQUALITY = {"eq": True, "in": True, "ne": False, "not_in": False}
_JSON_KINDS = {c.STRING: "string", c.NUMBER: "number", c.DATE: "string"}


def _attribute_value(vtype: c.ValueType, raw: Any) -> Any:
    """An attribute's value as its declared type reads it, or MISSING."""
    if vtype == c.STRING:
        return raw if isinstance(raw, str) else MISSING
    if vtype == c.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return MISSING
        return c.number_value(raw)
    if vtype == c.BOOLEAN:
        return raw if isinstance(raw, bool) else MISSING
    value = c.parse_date(raw) if isinstance(raw, str) else None
    return MISSING if value is None else value


def attribute_field(key: str, declared: str) -> FieldSpec:
    vtype = _ATTRIBUTE_TYPES[AttributeType(declared)]
    name = f"customer.attributes.{key}"

    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            customer = ctx.get("customer")
            if customer is MISSING:
                return MISSING
            return _attribute_value(vtype, customer.attributes.get(key, MISSING))

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        column = ctx.path(SUBJECT, "attributes")
        kind = c.JsonKind(column, key)
        equality = _EQUALITY.get(leaf.op.name)
        if equality is not None and connection.vendor == "postgresql":
            # One comparison of the extracted value, exact in type.
            values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
            texts = vtype in (c.STRING, c.DATE)
            if texts:
                values = tuple(v.isoformat() if vtype == c.DATE else v for v in values)
            hit = Q(c.JsonIn(column, key, list(values), text=texts))
            if equality:
                return hit
            present = (
                Q(Exact(kind, _JSON_KINDS[vtype]))
                if vtype != c.BOOLEAN
                else Q(In(kind, ["true", "false"]))
            )
            return present & ~hit
        if vtype == c.BOOLEAN:
            return c.scalar_q(
                leaf,
                ctx,
                kind,
                Q(In(kind, ["true", "false"])),
                param=lambda v: "true" if v else "false",
            )
        if vtype == c.NUMBER:
            return c.scalar_q(leaf, ctx, c.JsonNumber(column, key), Q(Exact(kind, "number")))
        # Strings, and dates (stored as YYYY-MM-DD text, which orders as the dates do).
        param = (lambda v: v.isoformat()) if vtype == c.DATE else None
        return c.scalar_q(leaf, ctx, c.JsonText(column, key), Q(Exact(kind, "string")), param=param)

    example_values: dict[c.ValueType, tuple[str, Any]] = {
        c.STRING: ("eq", "Osaka"),
        c.NUMBER: ("gte", 3),
        c.BOOLEAN: ("eq", True),
        c.DATE: ("within_last", "1y"),
    }
    op, value = example_values[vtype]
    return FieldSpec(
        name=name,
        type=vtype,
        subject=SUBJECT,
        description=f"The custom attribute {key} ({vtype}).",
        example={"field": name, "op": op, "value": value},
        in_memory=in_memory,
        in_sql=in_sql,
        reads_row=True,
    )


def _definitions(resolution: c.Resolution) -> dict[str, str]:
    """The workspace's attribute types, read once per condition."""
    cached = resolution.cache.get("customer.attributes")
    if cached is None:
        if resolution.workspace is None:
            cached = {}
        else:
            cached = dict(
                AttributeDefinition.objects.for_workspace(resolution.workspace).values_list(
                    "key", "type"
                )
            )
        resolution.cache["customer.attributes"] = cached
    return cached


def _resolve_attribute(key: str, resolution: c.Resolution) -> FieldSpec | None:
    declared = _definitions(resolution).get(key)
    return attribute_field(key, declared) if declared is not None else None


def _list_attributes(resolution: c.Resolution) -> list[FieldSpec]:
    return [attribute_field(k, t) for k, t in sorted(_definitions(resolution).items())]


# ------------------------------------------------------------------ consents


def consent_field(channel: str) -> FieldSpec:
    name = f"customer.consents.{channel}"

    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            consents = ctx.get("customer_consents")
            return MISSING if consents is MISSING else consents.get(channel, MISSING)

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        rows = (
            Consent.objects.for_workspace(ctx.workspace)
            .filter(channel=channel)
            .values("customer_id")
            .annotate(v=F("status"))
        )
        return c.per_row_q(leaf, ctx, rows, link="customer_id", ref=ctx.ref(SUBJECT))

    return FieldSpec(
        name=name,
        type=c.STRING,
        subject=SUBJECT,
        description=(
            f"Consent for {channel.replace('_', ' ')}: granted, denied or pending; "
            "missing when the customer never answered."
        ),
        example={"field": name, "op": "eq", "value": "granted"},
        in_memory=in_memory,
        in_sql=in_sql,
        choices=tuple(ConsentStatus.values),
    )


def _resolve_consent(channel: str, resolution: c.Resolution) -> FieldSpec | None:
    return consent_field(channel) if channel in ConsentChannel.values else None


# ------------------------------------------------------------------ custom events


def _check_event_name(raw: Any, path: str) -> str:
    if not isinstance(raw, str) or not EVENT_NAME.fullmatch(raw):
        raise c.InvalidCondition(
            "An event name starts with a letter and uses letters, digits, '_', '.', ':' or '-'.",
            field=path,
        )
    return raw


EVENT = c.Extra(
    "event",
    "Count only the custom events of this name. Without it, every custom event.",
    _check_event_name,
)


def _events_count() -> FieldSpec:
    def in_memory(leaf: Leaf) -> Getter:
        name = leaf.extras.get("event")
        within = leaf.within

        def get(ctx: Context) -> Any:
            events = ctx.get("customer_events")
            if events is MISSING:
                return MISSING
            since = within.before(ctx.now) if within is not None else None
            return sum(
                1
                for event_name, occurred_at in events
                if (name is None or event_name == name) and (since is None or occurred_at >= since)
            )

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        rows = CustomEvent.objects.for_workspace(ctx.workspace)
        name = leaf.extras.get("event")
        if name is not None:
            rows = rows.filter(name=name)
        if leaf.within is not None:
            rows = rows.filter(occurred_at__gte=leaf.within.before(ctx.now))
        grouped = rows.values("customer_id").annotate(v=Count("id"))
        return c.per_row_q(leaf, ctx, grouped, link="customer_id", ref=ctx.ref(SUBJECT), empty=0)

    return FieldSpec(
        name="customer.events.count",
        type=c.INTEGER,
        subject=SUBJECT,
        description=(
            "How many custom events the customer has: of one name with `event`, in a "
            "window with `within`. 0 when none."
        ),
        example={
            "field": "customer.events.count",
            "event": "review_posted",
            "within": "30d",
            "op": "gte",
            "value": 2,
        },
        in_memory=in_memory,
        in_sql=in_sql,
        extras=(EVENT, c.WITHIN),
    )


# ------------------------------------------------------------------ facts and registration


def customer_facts(customer: Customer) -> dict[str, Any]:
    """The facts the customer fields read, the costly ones loaded only if read."""

    def consents() -> dict[str, str]:
        return dict(Consent.objects.filter(customer=customer).values_list("channel", "status"))

    def events() -> list[tuple[str, datetime]]:
        return list(
            CustomEvent.objects.filter(customer=customer).values_list("name", "occurred_at")
        )

    facts: dict[str, Any] = {
        "customer": customer,
        "customer_consents": c.Lazy(consents),
        "customer_events": c.Lazy(events),
    }
    for provider in _FACT_PROVIDERS:
        facts.update(provider(customer))
    return facts


# Apps above customers whose fields read facts of their own about a customer (loyalty: the
# member's accounts) register a provider of those facts, loaded lazily like the others.
_FACT_PROVIDERS: list[Callable[[Customer], dict[str, Any]]] = []


def register_fact_provider(provider: Callable[[Customer], dict[str, Any]]) -> None:
    if provider not in _FACT_PROVIDERS:
        _FACT_PROVIDERS.append(provider)


def register(registry: c.Registry = c.registry) -> None:
    c.register_scope("customer", {SUBJECT: ""}, model=Customer)
    for name, (description, example) in PROFILE_TEXT.items():
        registry.register(_profile_text(name, description, example))
    registry.register(_birthdate())
    registry.register(_created_at())
    registry.register(_events_count())
    registry.register_family(
        c.FieldFamily(
            prefix="customer.attributes.",
            placeholder="<name>",
            subject=SUBJECT,
            description="A custom attribute, typed as the workspace declared it.",
            resolve=_resolve_attribute,
            listing=_list_attributes,
            unknown="No attribute {name!r} in this workspace (GET /customer-attributes).",
        )
    )
    registry.register_family(
        c.FieldFamily(
            prefix="customer.consents.",
            placeholder="<channel>",
            subject=SUBJECT,
            description="Consent status on one channel.",
            resolve=_resolve_consent,
            listing=lambda resolution: [consent_field(ch) for ch in ConsentChannel.values],
            unknown="No consent channel {name!r}; the channels are "
            + ", ".join(ConsentChannel.values)
            + ".",
        )
    )
