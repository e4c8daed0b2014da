"""The field registry: every field a condition may name, registered by the app that owns it.

Core owns no field. An app registers its fields from its `AppConfig.ready()`, one call each:

    registry.register(FieldSpec(name="order.total", type=MONEY_TYPE, subject="order", ...))

A field whose name carries a parameter (`customer.attributes.<name>`, `answers.<id>`) is a
`FieldFamily`: a prefix and a resolver that turns the rest of the name into a `FieldSpec`
for one workspace (an attribute's declared type, say), or None when there is no such field.

A spec says how the field is read in memory (`in_memory`: given the parsed leaf, returns a
getter from a `Context` to the value or MISSING) and how it compiles to SQL (`in_sql`: given
the leaf and the `SqlContext`, returns a `Q` that is true exactly where the leaf holds, never
NULL). Either may be absent: a field of a survey answer has no SQL, say."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kizuna.core.conditions.errors import InvalidCondition
from kizuna.core.conditions.operators import ops_for
from kizuna.core.conditions.types import ValueType, parse_duration

if TYPE_CHECKING:
    from django.db.models import Q

    from kizuna.core.conditions.compile import SqlContext
    from kizuna.core.conditions.context import Context
    from kizuna.core.conditions.tree import Leaf
    from kizuna.core.models import Workspace

Getter = Callable[["Context"], Any]
MemoryReader = Callable[["Leaf"], Getter]
SqlBuilder = Callable[["Leaf", "SqlContext"], "Q"]


@dataclass(frozen=True)
class Extra:
    """A key a leaf may carry beside field/op/value for this field (`within`, `event`)."""

    name: str
    description: str
    check: Callable[[Any, str], Any]
    required: bool = False


def _check_within(raw: Any, path: str) -> Any:
    return parse_duration(raw, path)


WITHIN = Extra(
    "within",
    'Only what happened in the last span of time: "90d", "12w", "6m", "1y". Without it, all time.',
    _check_within,
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: ValueType
    subject: str
    description: str
    example: Mapping[str, Any]
    in_memory: MemoryReader | None = None
    in_sql: SqlBuilder | None = None
    extras: tuple[Extra, ...] = ()
    choices: tuple[str, ...] | None = None
    # True when `in_sql` tests a column of the scope's own row (cheap): such leaves narrow
    # the subqueries of their costly siblings in an `all` group.
    reads_row: bool = False

    @property
    def ops(self) -> tuple[str, ...]:
        return ops_for(self.type)

    def find_extra(self, name: str) -> Extra | None:
        return next((e for e in self.extras if e.name == name), None)


class Resolution:
    """What a family's resolver may use while one condition is parsed: the workspace, and a
    cache so that, say, the attribute definitions are read once per condition."""

    def __init__(self, workspace: "Workspace | None") -> None:
        self.workspace = workspace
        self.cache: dict[str, Any] = {}


@dataclass(frozen=True)
class FieldFamily:
    prefix: str  # "customer.attributes."
    placeholder: str  # "<name>"
    subject: str
    description: str
    # (parameter, resolution) -> the field, or None when the workspace has no such field.
    resolve: Callable[[str, Resolution], FieldSpec | None]
    # The family's fields in one workspace, for GET /conditions/fields.
    listing: Callable[[Resolution], list[FieldSpec]]
    # How an unknown parameter is reported: a sentence with {name}.
    unknown: str = "No field {name!r}."

    @property
    def pattern(self) -> str:
        return f"{self.prefix}{self.placeholder}"


@dataclass
class Registry:
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    families: dict[str, FieldFamily] = field(default_factory=dict)

    def register(self, spec: FieldSpec) -> FieldSpec:
        existing = self.fields.get(spec.name)
        if existing is not None and existing != spec:
            raise RuntimeError(f"Condition field {spec.name} is registered twice.")
        if any(spec.name.startswith(prefix) for prefix in self.families):
            raise RuntimeError(f"Condition field {spec.name} lies inside a field family.")
        self.fields[spec.name] = spec
        return spec

    def register_family(self, family: FieldFamily) -> FieldFamily:
        existing = self.families.get(family.prefix)
        if existing is not None and existing != family:
            raise RuntimeError(f"Condition field family {family.pattern} is registered twice.")
        self.families[family.prefix] = family
        return family

    def resolve(self, name: str, resolution: Resolution, path: str) -> FieldSpec:
        spec = self.fields.get(name)
        if spec is not None:
            return spec
        for prefix, family in self.families.items():
            if name.startswith(prefix):
                parameter = name[len(prefix) :]
                found = family.resolve(parameter, resolution) if parameter else None
                if found is None:
                    raise InvalidCondition(family.unknown.format(name=parameter), field=path)
                return found
        raise InvalidCondition(
            f"Unknown field {name!r}. GET /conditions/fields lists the fields.", field=path
        )

    def describe(self, workspace: "Workspace | None") -> list[FieldSpec]:
        """Every field, the families' resolved for the workspace, by name."""
        resolution = Resolution(workspace)
        specs = list(self.fields.values())
        for family in self.families.values():
            specs.extend(family.listing(resolution))
        return sorted(specs, key=lambda s: s.name)


# The product's one registry. Apps register into it at start-up.
registry = Registry()
register = registry.register
register_family = registry.register_family
