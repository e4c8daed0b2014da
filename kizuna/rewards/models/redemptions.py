"""Redemptions at a checkout (docs/checkout.md, ADR 0036): what a customer used on an order,
line by line, and the workspace's stacking rules.

A redemption is `reserved` (its lines hold a code use, points, gift-card value until
`expires_at`), `redeemed` (used), `released` (a reservation let go or expired) or
`rolled_back` (a use undone). Each line keeps what its kind took (`data`) and its own state,
so that confirming, releasing and giving back act once per line however often they are
asked."""

from decimal import Decimal

from django.db import models
from django.db.models import Q

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.core.money import money_field
from kizuna.customers.models import Customer

REF_MAX_LENGTH = 128
LOCATION_MAX_LENGTH = 200
GROUPS = ("voucher", "reward", "points", "gift_card")
DEFAULT_MAX_REDEEMABLES = 5


class StackingRules(TenantModel):
    """How redeemables combine on one order in a workspace: at most `max_redeemables`; at
    most one of each group in `one_per_order` (["voucher"]: never two vouchers); never two
    groups of a pair in `never_together` ([["voucher", "reward"]])."""

    max_redeemables = models.PositiveSmallIntegerField(default=DEFAULT_MAX_REDEEMABLES)
    one_per_order = models.JSONField(default=list, blank=True)
    never_together = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="stacking_rules_once"),
        ]

    def __str__(self) -> str:
        return f"stacking rules of {self.workspace_id}"


class RedemptionStatus(models.TextChoices):
    RESERVED = "reserved"
    REDEEMED = "redeemed"
    RELEASED = "released"
    ROLLED_BACK = "rolled_back"


class Redemption(TenantModel):
    public_id = models.CharField(max_length=40)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RedemptionStatus.choices)
    policy = models.CharField(max_length=16)
    currency = models.CharField(max_length=3)
    # The order the redemption was for (its external id) and whether it recorded it.
    order_id = models.CharField(max_length=REF_MAX_LENGTH, blank=True, default="")
    order_recorded = models.BooleanField(default=False)
    # The answer as it was given: {"redeemables": [...], "order": {...}}.
    result = models.JSONField(default=dict)
    # Where and by whom (a scan at a store: the staff user or key, and the location).
    channel = models.CharField(max_length=16, default="api")
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True, default="")
    actor_type = models.CharField(max_length=16, blank=True, default="")
    actor_id = models.CharField(max_length=128, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "public_id"], name="redemption_id_once"),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="redemption_hold_expiry_idx",
                condition=Q(status="reserved"),
            ),
            models.Index(fields=["workspace", "order_id"]),
        ]

    def __str__(self) -> str:
        return self.public_id


class LineState(models.TextChoices):
    HELD = "held"
    USED = "used"
    RELEASED = "released"
    GIVEN_BACK = "given_back"


class RedemptionLine(models.Model):
    """One redeemable a redemption applied: its discount off the order and the amount it
    paid (in the redemption's currency), the points it spent, what its kind took (`data`),
    and `returned`: the value a refund of the order gave back already (gift cards)."""

    redemption = models.ForeignKey(Redemption, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=16)
    ref = models.CharField(max_length=REF_MAX_LENGTH)
    discount = money_field()
    amount = money_field()
    returned = money_field(default=Decimal(0))
    points = models.BigIntegerField(default=0)
    data = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=LineState.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["redemption", "position"], name="redemption_line_once"),
            models.CheckConstraint(
                condition=Q(returned__gte=0) & Q(returned__lte=models.F("amount")),
                name="redemption_line_returned_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.ref}"
