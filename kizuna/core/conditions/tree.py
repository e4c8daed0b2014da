"""Parse and validate a condition's JSON into typed nodes.

    {"all": [c, ...]}   every child holds (an empty `all` is true)
    {"any": [c, ...]}   at least one child holds (an empty `any` is false)
    {"not": c}          the child does not hold
    {"field": "customer.attributes.city", "op": "in", "value": ["Osaka", "Seoul"]}

Every fault raises `InvalidCondition` whose `field` is the JSON path of the fault, prefixed
with the name of the body field that holds the condition: `condition.all[2].value`."""

from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any, Literal

from kizuna.core.conditions.errors import InvalidCondition
from kizuna.core.conditions.operators import OPERATORS, Operator, coerce_value
from kizuna.core.conditions.registry import FieldSpec, Registry, Resolution, registry
from kizuna.core.conditions.types import Duration

if TYPE_CHECKING:
    from kizuna.core.models import Workspace

MAX_DEPTH = 10
MAX_LEAVES = 200
MAX_NODES = 1000
_LEAF_KEYS = frozenset({"field", "op", "value"})
_GROUP_KEYS = ("all", "any", "not")
_REGEX_OPS = frozenset({"matches", "regex", "like", "ilike", "re", "match", "regexp"})


@dataclass(frozen=True, slots=True, eq=False)
class Leaf:
    path: str
    field: str
    op: Operator
    value: Any
    spec: FieldSpec
    within: Duration | None = None
    extras: dict[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    path: str
    kind: Literal["all", "any"]
    children: tuple["Node", ...]


@dataclass(frozen=True, slots=True, eq=False)
class Negation:
    path: str
    child: "Node"


Node = Leaf | Group | Negation


class Condition:
    """A parsed, valid condition: its tree, the JSON it came from, and what it reads."""

    def __init__(self, root: Node, source: Any, leaves: list[Leaf], depth: int) -> None:
        self.root = root
        self.source = source
        self.leaves = leaves
        self.depth = depth
        self.subjects = frozenset(leaf.spec.subject for leaf in leaves)
        self._predicate: Any = None

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


class _Parser:
    def __init__(
        self,
        registry: Registry,
        resolution: Resolution,
        subjects: Collection[str] | None,
        usage: str,
    ) -> None:
        self.registry = registry
        self.resolution = resolution
        self.subjects = subjects
        self.usage = usage
        self.leaves: list[Leaf] = []
        self.nodes = 0
        self.depth = 0

    def node(self, data: Any, path: str, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise InvalidCondition(f"Conditions nest at most {MAX_DEPTH} levels deep.", field=path)
        self.depth = max(self.depth, depth)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InvalidCondition(f"A condition has at most {MAX_NODES} parts.", field=path)
        if not isinstance(data, dict):
            raise InvalidCondition(
                'A condition is an object: {"all": [...]}, {"any": [...]}, {"not": {...}} or '
                '{"field": ..., "op": ..., "value": ...}.',
                field=path,
            )
        groups = [key for key in _GROUP_KEYS if key in data]
        if groups:
            if len(data) != 1:
                extra = next(key for key in data if key != groups[0])
                raise InvalidCondition(
                    f"A group has one key, {groups[0]!r}; {extra!r} does not belong beside it.",
                    field=f"{path}.{extra}",
                )
            return self.group(groups[0], data[groups[0]], path, depth)
        if "field" in data or "op" in data:
            return self.leaf(data, path)
        raise InvalidCondition(
            'Expected a group ("all", "any" or "not") or a leaf ("field", "op", "value").',
            field=path,
        )

    def group(self, kind: str, body: Any, path: str, depth: int) -> Node:
        child_path = f"{path}.{kind}"
        if kind == "not":
            return Negation(path, self.node(body, child_path, depth + 1))
        if not isinstance(body, list):
            raise InvalidCondition(f"{kind!r} takes a list of conditions.", field=child_path)
        children = tuple(
            self.node(child, f"{child_path}[{i}]", depth + 1) for i, child in enumerate(body)
        )
        return Group(path, "all" if kind == "all" else "any", children)

    def leaf(self, data: dict[str, Any], path: str) -> Leaf:
        if len(self.leaves) >= MAX_LEAVES:
            raise InvalidCondition(f"A condition has at most {MAX_LEAVES} comparisons.", field=path)
        name = data.get("field")
        if not isinstance(name, str) or not name:
            raise InvalidCondition("Name the field, as a string.", field=f"{path}.field")
        spec = self.registry.resolve(name, self.resolution, f"{path}.field")
        if self.subjects is not None and spec.subject not in self.subjects:
            raise InvalidCondition(
                f"{name} is a field of one {spec.subject}; {self.usage} may use fields of "
                f"{' or '.join(sorted(self.subjects))} only.",
                field=f"{path}.field",
            )
        op_name = data.get("op")
        if not isinstance(op_name, str):
            raise InvalidCondition("Name the operator, as a string.", field=f"{path}.op")
        if op_name in _REGEX_OPS:
            raise InvalidCondition(
                "Regular expressions are not supported: use contains, starts_with or ends_with.",
                field=f"{path}.op",
            )
        op = OPERATORS.get(op_name)
        if op is None:
            raise InvalidCondition(
                f"Unknown operator {op_name!r}; the operators are {', '.join(OPERATORS)}.",
                field=f"{path}.op",
            )
        if op_name not in spec.ops:
            raise InvalidCondition(
                f"{op_name} does not fit {name}, a {spec.type} field; use one of "
                f"{', '.join(spec.ops)}.",
                field=f"{path}.op",
            )
        extras: dict[str, Any] = {}
        for key in data:
            if key in _LEAF_KEYS:
                continue
            extra = spec.find_extra(key)
            if extra is None:
                allowed = ", ".join(e.name for e in spec.extras) or "none"
                raise InvalidCondition(
                    f"{key!r} does not apply to {name} (its extra keys: {allowed}).",
                    field=f"{path}.{key}",
                )
            extras[key] = extra.check(data[key], f"{path}.{key}")
        for extra in spec.extras:
            if extra.required and extra.name not in extras:
                raise InvalidCondition(
                    f"{name} needs {extra.name!r}: {extra.description}",
                    field=f"{path}.{extra.name}",
                )
        if "value" not in data and op.shape != "none":
            raise InvalidCondition(f"{op_name} needs a value.", field=f"{path}.value")
        value = coerce_value(op, spec.type, data.get("value"), f"{path}.value")
        if spec.choices is not None and op_name in ("eq", "ne", "in", "not_in"):
            self.check_choices(spec, value, f"{path}.value")
        within = extras.get("within")
        leaf = Leaf(
            path=path,
            field=name,
            op=op,
            value=value,
            spec=spec,
            within=within if isinstance(within, Duration) else None,
            extras=extras,
        )
        self.leaves.append(leaf)
        return leaf

    @staticmethod
    def check_choices(spec: FieldSpec, value: Any, path: str) -> None:
        assert spec.choices is not None
        values = value if isinstance(value, tuple) else (value,)
        for i, item in enumerate(values):
            if isinstance(item, str) and item not in spec.choices:
                at = f"{path}[{i}]" if isinstance(value, tuple) else path
                raise InvalidCondition(
                    f"{item!r} is not a value of {spec.name}; its values are "
                    f"{', '.join(spec.choices)}.",
                    field=at,
                )


def parse(
    data: Any,
    *,
    workspace: "Workspace | None" = None,
    subjects: Collection[str] | None = None,
    root: str = "condition",
    usage: str = "this condition",
    registry: Registry = registry,
) -> Condition:
    """Validate `data` and return the parsed condition, or raise InvalidCondition.

    `subjects` limits the fields to those of these subjects (a segment: customer fields);
    `root` names the body field that holds the condition, for the error paths."""
    parser = _Parser(registry, Resolution(workspace), subjects, usage)
    tree = parser.node(data, root, 1)
    return Condition(tree, data, parser.leaves, parser.depth)
