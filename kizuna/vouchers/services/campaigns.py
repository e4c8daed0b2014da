"""Voucher campaigns: created, changed (each change audited), read."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed, refuse_nulls
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_new
from kizuna.customers.selectors import get_customer
from kizuna.vouchers.errors import CampaignExists, CampaignNotFound
from kizuna.vouchers.locks import lock_campaign
from kizuna.vouchers.models import NAME_MAX_LENGTH, Campaign, CampaignStatus, Voucher
from kizuna.vouchers.services import codes
from kizuna.vouchers.services.discounts import check_condition, check_discount

NOT_NULL = ("name", "discount", "code", "usage", "status")
MAX_USES = 1_000_000_000


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"A name of 1 to {NAME_MAX_LENGTH} characters.", code="invalid_name", field="name"
        )
    return value.strip()


def _limit(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_USES:
        raise ValidationFailed(
            "A limit is a whole number of at least 1, or null for no limit.",
            code="invalid_limit",
            field=field,
        )
    return value


def check_usage(value: Any, current: Campaign | None = None) -> dict[str, int | None]:
    """{"per_code": N | null, "per_customer": N | null}; per_code is 1 (single use) when
    left out of a new campaign."""
    value = {} if value is None else value
    if not isinstance(value, Mapping):
        raise ValidationFailed(
            "usage is an object: {per_code, per_customer}.", code="invalid_usage", field="usage"
        )
    unknown = sorted(set(value) - {"per_code", "per_customer"})
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}.", code="invalid_usage", field=f"usage.{unknown[0]}"
        )
    out: dict[str, int | None] = {}
    if "per_code" in value or current is None:
        out["per_code"] = _limit(value.get("per_code", 1), "usage.per_code")
    if "per_customer" in value or current is None:
        out["per_customer"] = _limit(value.get("per_customer"), "usage.per_customer")
    return out


def check_campaign(
    workspace: Workspace, data: Mapping[str, Any], current: Campaign | None = None
) -> dict[str, Any]:
    """The campaign fields present in `data`, checked (all of them for a new campaign)."""
    partial = current is not None
    if partial:
        refuse_nulls(data, NOT_NULL)
    clean: dict[str, Any] = {}
    if "name" in data or not partial:
        clean["name"] = _check_name(data.get("name"))
    if "status" in data:
        if data["status"] not in CampaignStatus.values:
            raise ValidationFailed(
                "status is active or paused.", code="invalid_status", field="status"
            )
        clean["status"] = data["status"]
    if "discount" in data or not partial:
        clean["discount"] = check_discount(data.get("discount"), workspace)
    if "code" in data or not partial:
        clean["code_spec"] = codes.check_spec(data.get("code")).as_json()
    if "usage" in data or not partial:
        clean.update(check_usage(data.get("usage"), current))
    for name in ("valid_from", "valid_until"):
        if name in data or not partial:
            clean[name] = data.get(name)
    start = clean.get("valid_from", current.valid_from if current else None)
    end = clean.get("valid_until", current.valid_until if current else None)
    if start is not None and end is not None and not start < end:
        raise ValidationFailed(
            "valid_until comes after valid_from.", code="invalid_window", field="valid_until"
        )
    if "condition" in data or not partial:
        clean["condition"] = check_condition(
            data.get("condition"), workspace, ("customer", "order"), "condition"
        )
    if "customer_id" in data or not partial:
        customer_id = data.get("customer_id")
        clean["customer"] = None if customer_id is None else get_customer(workspace, customer_id)
    return clean


def snapshot(campaign: Campaign) -> dict[str, Any]:
    customer = campaign.customer
    return {
        "id": campaign.key,
        "name": campaign.name,
        "status": campaign.status,
        "discount": campaign.discount,
        "code": campaign.code_spec,
        "usage": {"per_code": campaign.per_code, "per_customer": campaign.per_customer},
        "valid_from": campaign.valid_from,
        "valid_until": campaign.valid_until,
        "condition": campaign.condition,
        "customer_id": customer.external_id if customer is not None else None,
    }


def create_campaign(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> Campaign:
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("campaign")
    clean = check_campaign(workspace, data)
    with transaction.atomic(savepoint=False):
        campaign = insert_new(
            CampaignExists(f"A voucher campaign {key!r} exists already.", field="id"),
            Campaign(workspace=workspace, key=key, **clean),
            workspace=workspace,
            key=key,
        )
        audit.record(
            workspace,
            actor,
            "voucher_campaign.created",
            "voucher_campaign",
            key,
            after=audit.jsonable(snapshot(campaign)),
        )
    return campaign


def get_campaign(workspace: Workspace, key: str, *, lock: bool = False) -> Campaign:
    queryset = Campaign.objects.for_workspace(workspace).filter(key=key)
    campaign = lock_campaign(queryset) if lock else one_or_none(queryset)
    if campaign is None:
        raise CampaignNotFound(f"No voucher campaign {key!r}.", field="campaign_id")
    return campaign


def update_campaign(
    workspace: Workspace, key: str, data: Mapping[str, Any], actor: Actor
) -> Campaign:
    with transaction.atomic(savepoint=False):
        campaign = get_campaign(workspace, key, lock=True)
        clean = check_campaign(workspace, data, campaign)
        if clean.get("per_code") is not None:
            _check_limit_above_uses(campaign, clean["per_code"])
        before = audit.jsonable(snapshot(campaign))
        for name, value in clean.items():
            setattr(campaign, name, value)
        after = audit.jsonable(snapshot(campaign))
        if after != before:
            campaign.updated_at = now()
            campaign.save()
            if "per_code" in clean:
                # Each code carries its campaign's limit, for its conditional UPDATE.
                Voucher.objects.filter(campaign=campaign).update(max_uses=campaign.per_code)
            audit.record(
                workspace,
                actor,
                "voucher_campaign.updated",
                "voucher_campaign",
                key,
                before=before,
                after=after,
            )
    return campaign


def _check_limit_above_uses(campaign: Campaign, per_code: int) -> None:
    used = (
        Voucher.objects.filter(campaign=campaign)
        .annotate(taken=F("uses") + F("held"))
        .filter(taken__gt=per_code)
        .values_list("taken", flat=True)
        .order_by("-taken")
        .first()
    )
    if used is not None:
        raise ValidationFailed(
            f"A code of the campaign has been used {used} times; per_code cannot go below it.",
            code="limit_below_uses",
            field="usage.per_code",
        )


def window_state(campaign: Campaign, at: datetime) -> str | None:
    """Why the campaign's window refuses `at` (not_started, expired), or None."""
    if campaign.valid_from is not None and at < campaign.valid_from:
        return "not_started"
    if campaign.valid_until is not None and at >= campaign.valid_until:
        return "expired"
    return None
