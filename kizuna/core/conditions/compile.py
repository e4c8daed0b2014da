"""Compile a parsed condition to a Django `Q` over one model: customers for segments and
audiences, orders or order items where an app registers those scopes.

Every leaf compiles to a `Q` that is TRUE where the leaf holds and FALSE elsewhere, never
NULL: a comparison is ANDed with a presence test that is FALSE (not NULL) when the value is
missing, and values read from other tables are tested with `pk IN (subquery)`, which is
never NULL either. So `not` is plain SQL NOT and agrees with the in-memory evaluator, which
the property test in `kizuna/insights/tests` checks on both databases.

The helpers below (`scalar_q`, `per_row_q`, `list_q`) are what the apps' `in_sql` builders
use, so that each operator has one SQL meaning."""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Expression, F, Model, Q, QuerySet, Value
from django.db.models.functions import Left, Right, StrIndex
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    LessThan,
    LessThanOrEqual,
)

from kizuna.core.clock import now as clock_now
from kizuna.core.conditions.context import MISSING
from kizuna.core.conditions.operators import memory_test
from kizuna.core.conditions.tree import Condition, Leaf, Negation, Node
from kizuna.core.conditions.types import Duration, Kind

if TYPE_CHECKING:
    from kizuna.core.models import Workspace

# `pk IN ()` is nothing and its negation everything; Django turns both into constant SQL.
FALSE = Q(pk__in=[])
TRUE = ~FALSE


@dataclass(frozen=True)
class Scope:
    """A model conditions compile over: how it reaches each subject ({subject: lookup
    prefix}), and, for a tenant model, the model itself, which lets the compiler narrow the
    subqueries of costly fields to the rows that pass the cheap ones (see `_all`)."""

    name: str
    paths: Mapping[str, str]
    model: "type[Model] | None" = None


_SCOPES: dict[str, Scope] = {}


def register_scope(
    name: str, paths: Mapping[str, str], *, model: "type[Model] | None" = None
) -> None:
    """Declare a scope: e.g. the orders app registers "order" as
    {"order": "", "customer": "customer__"}; the customers app "customer" with its model."""
    scope = Scope(name, dict(paths), model)
    existing = _SCOPES.get(name)
    if existing is not None and existing != scope:
        raise RuntimeError(f"Condition scope {name} is registered twice.")
    _SCOPES[name] = scope


class NotCompilable(RuntimeError):
    """The condition reads a field that has no SQL, or none from this scope."""


@dataclass
class SqlContext:
    scope: str
    workspace: "Workspace"
    now: datetime
    tz: tzinfo = UTC
    paths: Mapping[str, str] = field(default_factory=dict)
    model: "type[Model] | None" = None
    # A Q over the scope's model that every row the result matters for passes (the cheap
    # conjuncts of the enclosing `all` groups), or None.
    narrow: Q | None = None
    # The leaves compiled to a positive `pk IN (narrowed rows)` (see `within`).
    implying: set[int] = field(default_factory=set)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def reaches(self, subject: str) -> bool:
        return subject in self.paths

    def path(self, subject: str, name: str) -> str:
        """The lookup from the scope's model to `name` on `subject`, e.g. customer__email."""
        if subject not in self.paths:
            raise NotCompilable(f"A {self.scope} condition cannot read {subject} fields.")
        return self.paths[subject] + name

    def ref(self, subject: str) -> str:
        """The lookup of the subject's primary key, for `ref__in=subquery`."""
        return self.path(subject, "pk")

    def within(self, leaf: Leaf, q: Q, ref: str) -> Q:
        """Return `q`, the leaf's `ref IN (narrowed rows)`, noting that the leaf implies the
        narrowing conjuncts: the enclosing `all` may leave them out of the outer query."""
        if self.narrow is not None and self.model is not None and ref == "pk":
            self.implying.add(id(leaf))
        return q

    def narrowed(self, rows: QuerySet[Any], link: str, ref: str) -> QuerySet[Any]:
        """`rows` (of another table, linked to the scope's rows by `link`) restricted to the
        scope rows that pass the cheap conjuncts around: the aggregate then groups only
        those. Exact, because the rows it drops are excluded by those conjuncts anyway."""
        if self.narrow is None or self.model is None or ref != "pk":
            return rows
        passing = self.model._default_manager.filter(workspace_id=self.workspace.pk)
        return rows.filter(**{f"{link}__in": passing.filter(self.narrow).values("pk")})


# ------------------------------------------------------------------ one operator, one meaning


def _positive(expr: Any, op: str, value: Any, ctx: SqlContext, kind: Kind) -> Q:
    """The comparison for a present value (the non-negated form of each operator)."""
    match op:
        case "eq":
            return Q(Exact(expr, value))
        case "gt" | "after":
            return Q(GreaterThan(expr, value))
        case "gte":
            return Q(GreaterThanOrEqual(expr, value))
        case "lt" | "before":
            return Q(LessThan(expr, value))
        case "lte":
            return Q(LessThanOrEqual(expr, value))
        case "in":
            return Q(In(expr, list(value)))
        case "between":
            low, high = value
            return Q(GreaterThanOrEqual(expr, low)) & Q(LessThanOrEqual(expr, high))
        case "contains":
            return Q(GreaterThan(StrIndex(expr, Value(value)), 0))
        case "starts_with":
            return Q(Exact(Left(expr, len(value)), value))
        case "ends_with":
            return Q(Exact(Right(expr, len(value)), value))
        case "within_last" | "not_within_last":
            start, end = window(value, ctx, kind)
            if op == "within_last":
                return Q(GreaterThanOrEqual(expr, start)) & Q(LessThanOrEqual(expr, end))
            return Q(LessThan(expr, start))
    raise NotCompilable(f"No SQL for operator {op}.")  # pragma: no cover


def window(duration: Duration, ctx: SqlContext, kind: Kind) -> tuple[Any, Any]:
    """[start, end] of 'within the last <duration>': up to now, or up to today for dates."""
    end: date | datetime = ctx.today if kind == Kind.DATE else ctx.now
    return duration.before(end), end


def comparison(expr: Any, leaf: Leaf, ctx: SqlContext, param: Callable[[Any], Any] | None) -> Q:
    """The leaf's comparison on an expression known to be present (not NULL)."""
    op = leaf.op
    value = leaf.value
    if param is not None and op.shape not in ("duration", "none"):
        value = tuple(param(v) for v in value) if isinstance(value, tuple) else param(value)
    if op.negates is not None:
        return ~_positive(expr, op.negates, value, ctx, leaf.spec.type.kind)
    return _positive(expr, op.name, value, ctx, leaf.spec.type.kind)


def scalar_q(
    leaf: Leaf,
    ctx: SqlContext,
    expr: Expression | str,
    present: Q,
    *,
    param: Callable[[Any], Any] | None = None,
) -> Q:
    """A field that is one column or expression of the scope's row. `present` must be TRUE
    where the value is there and FALSE (never NULL) where it is not; `param` turns the
    leaf's values into what the expression compares with (dates into ISO text, say)."""
    if leaf.op.name == "exists":
        return present
    if leaf.op.name == "not_exists":
        return ~present
    target = F(expr) if isinstance(expr, str) else expr
    return present & comparison(target, leaf, ctx, param)


def per_row_q(
    leaf: Leaf,
    ctx: SqlContext,
    rows: QuerySet[Any],
    *,
    link: str,
    ref: str,
    empty: Any = MISSING,
    compare: Callable[[Leaf, SqlContext], Q] | None = None,
) -> Q:
    """A field whose value is read from another table, one row per subject: `rows` has the
    value annotated as `v` and the subject's id in `link` (a consent's status; an aggregate
    over orders grouped by customer). A subject without a row has the value `empty`:
    MISSING, or the 0 of a count or a sum. The result is `ref IN (...)` or its negation,
    never NULL."""
    present_rows = ctx.narrowed(rows, link, ref).filter(v__isnull=False)
    if leaf.op.name in ("exists", "not_exists"):
        if empty is not MISSING:
            return TRUE if leaf.op.name == "exists" else FALSE
        there = Q(**{f"{ref}__in": present_rows.values(link)})
        return ctx.within(leaf, there, ref) if leaf.op.name == "exists" else ~there
    holds = compare(leaf, ctx) if compare is not None else comparison(F("v"), leaf, ctx, None)
    if empty is not MISSING and memory_test(leaf.op.name, leaf.spec.type, leaf.value)(empty, ctx):
        # The subjects without a row hold: select those whose row does not hold, and negate.
        return ~Q(**{f"{ref}__in": present_rows.filter(~holds).values(link)})
    return ctx.within(leaf, Q(**{f"{ref}__in": present_rows.filter(holds).values(link)}), ref)


def list_q(
    leaf: Leaf, ctx: SqlContext, rows: QuerySet[Any], *, link: str, ref: str, element: str
) -> Q:
    """A list field made of rows of another table (the SKUs a customer bought). A subject
    without rows has the empty list: never missing."""
    op = leaf.op.name
    if op == "exists":
        return TRUE
    if op == "not_exists":
        return FALSE
    values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    matching = ctx.narrowed(rows, link, ref).filter(**{f"{element}__in": list(values)})
    if op == "all_in":
        matching = (
            matching.values(link)
            .annotate(found=Count(element, distinct=True))
            .filter(found=len(values))
        )
        return ctx.within(leaf, Q(**{f"{ref}__in": matching.values(link)}), ref)
    selected = Q(**{f"{ref}__in": matching.values(link)})
    if op in ("not_contains", "none_in"):
        return ~selected
    return ctx.within(leaf, selected, ref)


# ------------------------------------------------------------------ the tree


def _node(node: Node, ctx: SqlContext) -> Q:
    if isinstance(node, Leaf):
        builder = node.spec.in_sql
        if builder is None:
            raise NotCompilable(f"{node.field} cannot be compiled to SQL.")
        return builder(node, ctx)
    if isinstance(node, Negation):
        return ~_node(node.child, ctx)
    if node.kind == "all":
        return _all(node.children, ctx)
    parts = [_node(child, ctx) for child in node.children]
    return reduce(operator.or_, parts) if parts else FALSE


def _all(children: tuple[Node, ...], ctx: SqlContext) -> Q:
    """The conjunction. Its cheap leaves (tests on the scope's own row) are compiled first
    and narrow the subqueries of the others: "city in (Osaka, Seoul) and total spent in 90
    days > 100" sums the orders of the customers of the two cities only."""
    cheap = [c for c in children if isinstance(c, Leaf) and c.spec.reads_row]
    costly = [c for c in children if not (isinstance(c, Leaf) and c.spec.reads_row)]
    cheap_q = [_node(child, ctx) for child in cheap]
    inner = ctx
    if cheap_q and costly and ctx.model is not None:
        narrow = reduce(operator.and_, cheap_q)
        if ctx.narrow is not None:
            narrow = ctx.narrow & narrow
        inner = replace(ctx, narrow=narrow, implying=set())
    costly_q = [_node(child, inner) for child in costly]
    if inner is not ctx and any(id(child) in inner.implying for child in costly):
        # A costly part selects only among the rows that pass the cheap ones: testing them
        # again in the outer query would only scan every row once more.
        cheap_q = []
    parts = cheap_q + costly_q
    return reduce(operator.and_, parts) if parts else TRUE


def compile_condition(
    condition: Condition,
    *,
    workspace: "Workspace",
    scope: str = "customer",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> Q:
    """A Q over the scope's model (customers by default) selecting exactly the rows for
    which `evaluate` says the condition holds. Scope it to the workspace yourself:
    `Customer.objects.for_workspace(ws).filter(q)`."""
    if scope not in _SCOPES:
        raise NotCompilable(f"No condition scope {scope!r} is registered.")
    ctx = SqlContext(
        scope=scope,
        workspace=workspace,
        now=now if now is not None else clock_now(),
        tz=tz if tz is not None else UTC,
        paths=_SCOPES[scope].paths,
        model=_SCOPES[scope].model,
    )
    return _node(condition.root, ctx)
