"""The condition language: one JSON rule tree for the whole product (ARCHITECTURE section 3).

    condition = parse(data, workspace=ws, subjects={"customer"})   # validate (422 on a fault)
    evaluate(condition, Context(customer=..., now=...))            # in memory, one subject
    Customer.objects.for_workspace(ws).filter(compile(condition, workspace=ws))  # in SQL

Fields are registered by the apps that own them (`register`, `register_family`); core owns
none. The reference of operators and fields is docs/conditions.md; the missing-value rule is
ADR 0016."""

from kizuna.core.conditions.compile import (
    FALSE,
    TRUE,
    NotCompilable,
    SqlContext,
    compile_condition,
    list_q,
    per_row_q,
    register_scope,
    scalar_q,
    window,
)
from kizuna.core.conditions.context import MISSING, Context, Lazy
from kizuna.core.conditions.errors import InvalidCondition
from kizuna.core.conditions.evaluate import NotEvaluableInMemory, evaluate
from kizuna.core.conditions.operators import OPERATORS, ops_for
from kizuna.core.conditions.registry import (
    WITHIN,
    Extra,
    FieldFamily,
    FieldSpec,
    Getter,
    MemoryReader,
    Registry,
    Resolution,
    SqlBuilder,
    register,
    register_family,
    registry,
)
from kizuna.core.conditions.sqljson import (
    JSON_KEY,
    JsonIn,
    JsonKind,
    JsonNumber,
    JsonText,
    json_text,
)
from kizuna.core.conditions.tree import MAX_DEPTH, MAX_LEAVES, Condition, Leaf, parse
from kizuna.core.conditions.types import (
    BOOLEAN,
    DATE,
    DATETIME_TYPE,
    DURATION_TYPE,
    INTEGER,
    MONEY_TYPE,
    NUMBER,
    STRING,
    Duration,
    Kind,
    ValueType,
    list_of,
    number_value,
    parse_date,
)

# The name for the SQL compiler; `compile_condition` avoids shadowing the builtin.
compile = compile_condition

__all__ = [
    "BOOLEAN",
    "DATE",
    "DATETIME_TYPE",
    "DURATION_TYPE",
    "FALSE",
    "INTEGER",
    "JSON_KEY",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "MISSING",
    "MONEY_TYPE",
    "NUMBER",
    "OPERATORS",
    "STRING",
    "TRUE",
    "WITHIN",
    "Condition",
    "Context",
    "Duration",
    "Extra",
    "FieldFamily",
    "FieldSpec",
    "Getter",
    "InvalidCondition",
    "JsonIn",
    "JsonKind",
    "JsonNumber",
    "JsonText",
    "Kind",
    "Lazy",
    "Leaf",
    "MemoryReader",
    "NotCompilable",
    "NotEvaluableInMemory",
    "Registry",
    "Resolution",
    "SqlBuilder",
    "SqlContext",
    "ValueType",
    "compile",
    "compile_condition",
    "evaluate",
    "json_text",
    "list_of",
    "list_q",
    "number_value",
    "ops_for",
    "parse",
    "parse_date",
    "per_row_q",
    "register",
    "register_family",
    "register_scope",
    "registry",
    "scalar_q",
    "window",
]
