"""Evaluate a parsed condition in memory, for one customer, order, item or event.

The missing-value rule (ADR 0016): a comparison with a value that is not there is false, so
its `not` is true; `exists` and `not_exists` say whether it is there. Counts and sums over no
orders or events are 0, not missing.

A condition is turned into nested closures once (cached on the `Condition`); evaluating it
is then a few function calls per leaf."""

from collections.abc import Callable

from kizuna.core.conditions.context import MISSING, Context
from kizuna.core.conditions.operators import memory_test
from kizuna.core.conditions.tree import Condition, Group, Leaf, Negation, Node

Predicate = Callable[[Context], bool]


class NotEvaluableInMemory(RuntimeError):
    """A field without an in-memory reader was used where memory evaluation is needed."""


def _leaf(leaf: Leaf) -> Predicate:
    reader = leaf.spec.in_memory
    if reader is None:
        raise NotEvaluableInMemory(f"{leaf.field} cannot be evaluated in memory.")
    get = reader(leaf)
    if leaf.op.name == "exists":
        return lambda ctx: get(ctx) is not MISSING
    if leaf.op.name == "not_exists":
        return lambda ctx: get(ctx) is MISSING
    test = memory_test(leaf.op.name, leaf.spec.type, leaf.value)

    def holds(ctx: Context) -> bool:
        value = get(ctx)
        return value is not MISSING and test(value, ctx)

    return holds


def _all(predicates: tuple[Predicate, ...]) -> Predicate:
    if not predicates:
        return lambda ctx: True
    if len(predicates) == 1:
        return predicates[0]

    def every(ctx: Context) -> bool:
        # A plain loop: faster than all() over a generator, and this is the hot path.
        for predicate in predicates:  # noqa: SIM110
            if not predicate(ctx):
                return False
        return True

    return every


def _any(predicates: tuple[Predicate, ...]) -> Predicate:
    if not predicates:
        return lambda ctx: False
    if len(predicates) == 1:
        return predicates[0]

    def some(ctx: Context) -> bool:
        for predicate in predicates:  # noqa: SIM110
            if predicate(ctx):
                return True
        return False

    return some


def predicate(node: Node) -> Predicate:
    if isinstance(node, Leaf):
        return _leaf(node)
    if isinstance(node, Negation):
        inner = predicate(node.child)
        return lambda ctx: not inner(ctx)
    children = tuple(predicate(child) for child in node.children)
    return _all(children) if node.kind == "all" else _any(children)


def evaluate(condition: Condition, context: Context) -> bool:
    """Whether the condition holds for the facts in `context`."""
    compiled = condition._predicate
    if compiled is None:
        compiled = condition._predicate = predicate(condition.root)
    result: bool = compiled(context)
    return result


__all__ = ["Group", "NotEvaluableInMemory", "evaluate", "predicate"]
