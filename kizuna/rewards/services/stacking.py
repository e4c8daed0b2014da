"""The workspace's stacking rules (docs/checkout.md, Stacking): how many redeemables one order
takes, which groups take one at most, which never go together. A workspace without a row has
the defaults (five, no other limit)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.rewards.models import StackingRules
from kizuna.rewards.models.redemptions import DEFAULT_MAX_REDEEMABLES, GROUPS
from kizuna.rewards.redemption_locks import lock_stacking_rules
from kizuna.rewards.services.checkout import Rules

MAX_REDEEMABLES = 20


def stored_rules(workspace: Workspace) -> StackingRules:
    """The workspace's rules (an unsaved row with the defaults when it has none)."""
    row = one_or_none(StackingRules.objects.for_workspace(workspace))
    return row or StackingRules(workspace=workspace, max_redeemables=DEFAULT_MAX_REDEEMABLES)


def rules_of(workspace: Workspace) -> Rules:
    row = stored_rules(workspace)
    return Rules(
        max_redeemables=row.max_redeemables,
        one_per_order=frozenset(row.one_per_order),
        never_together=tuple((a, b) for a, b in row.never_together),
    )


def _group(value: Any, field: str) -> str:
    if value not in GROUPS:
        raise ValidationFailed(
            f"A group is one of {', '.join(GROUPS)}.", code="invalid_stacking_rules", field=field
        )
    return str(value)


def check_rules(data: Mapping[str, Any]) -> dict[str, Any]:
    most = data.get("max_redeemables", DEFAULT_MAX_REDEEMABLES)
    if isinstance(most, bool) or not isinstance(most, int) or not 1 <= most <= MAX_REDEEMABLES:
        raise ValidationFailed(
            f"max_redeemables is a whole number from 1 to {MAX_REDEEMABLES}.",
            code="invalid_stacking_rules",
            field="max_redeemables",
        )
    one = data.get("one_per_order") or []
    groups = sorted({_group(g, f"one_per_order[{i}]") for i, g in enumerate(one)})
    pairs: list[list[str]] = []
    for i, pair in enumerate(data.get("never_together") or []):
        if not isinstance(pair, list | tuple) or len(pair) != 2 or pair[0] == pair[1]:
            raise ValidationFailed(
                "Each entry names two different groups.",
                code="invalid_stacking_rules",
                field=f"never_together[{i}]",
            )
        pairs.append([_group(g, f"never_together[{i}][{j}]") for j, g in enumerate(pair)])
    return {"max_redeemables": most, "one_per_order": groups, "never_together": pairs}


def set_rules(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> StackingRules:
    clean = check_rules(data)
    with transaction.atomic(savepoint=False):
        insert_once(StackingRules(workspace=workspace), workspace=workspace)
        row = lock_stacking_rules(workspace)
        assert row is not None
        before = {f: getattr(row, f) for f in clean}
        for name, value in clean.items():
            setattr(row, name, value)
        row.updated_at = now()
        row.save()
        audit.record(
            workspace,
            actor,
            "stacking_rules.changed",
            "stacking_rules",
            "",
            before=before,
            after=clean,
        )
    return row
