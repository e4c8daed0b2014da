"""The reward catalog, the claims that turn points into rewards, and the counters that hold
a reward's per-customer limits (docs/rewards.md).

Counters move in the database: a reward's `stock` and a customer's claims per period change
by conditional UPDATE, never read-modify-write, and CHECK constraints hold the last line
(stock never below zero). A claim's `state` moves by conditional UPDATE too, so that a claim
is used once however many checkouts try."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from kizuna.core.clock import now
from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.models import TenantModel
from kizuna.core.money import money_field
from kizuna.customers.models import Customer
from kizuna.loyalty.models import LedgerEntry, Program
from kizuna.vouchers.models import CODE_MAX_LENGTH, GiftCard

DESCRIPTION_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 200
CLAIM_ID_MAX_LENGTH = 40
TRACKING_MAX_LENGTH = 200


class RewardType(models.TextChoices):
    DISCOUNT_AMOUNT = "discount_amount"
    DISCOUNT_PERCENT = "discount_percent"
    FREE_SHIPPING = "free_shipping"
    FREE_PRODUCT = "free_product"
    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"
    CASHBACK = "cashback"
    MATERIAL = "material"
    PAY_WITH_POINTS = "pay_with_points"


# Rewards whose claim is a code redeemed at checkout as {"type": "reward", "claim_id"}.
CODE_TYPES = frozenset(
    {
        RewardType.DISCOUNT_AMOUNT,
        RewardType.DISCOUNT_PERCENT,
        RewardType.FREE_SHIPPING,
        RewardType.FREE_PRODUCT,
        RewardType.CASHBACK,
    }
)
CARD_TYPES = frozenset({RewardType.GIFT_CARD, RewardType.STORE_CREDIT})


class RewardStatus(models.TextChoices):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DRAFT = "draft"


class Reward(TenantModel):
    """One entry of the catalog. `key` is its id in the API. `stock` is what is left to
    claim (None: unlimited); `claimed` counts claims, both moved by conditional UPDATE."""

    key = models.CharField(max_length=OBJECT_ID_MAX_LENGTH)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    name = models.JSONField()  # {"default": ..., "ja": ..., "ko": ...}
    description = models.TextField(blank=True, default="")
    type = models.CharField(max_length=24, choices=RewardType.choices)
    # {amount?, currency?, percent?, max_discount?, sku?, points_per_unit?} by type.
    value = models.JSONField(default=dict)
    cost_points = models.PositiveIntegerField(default=0)
    tier_costs = models.JSONField(default=dict, blank=True)  # {tier_id: points}
    tiers = models.JSONField(null=True, blank=True)  # [tier_id]: only these may claim
    stock = models.PositiveIntegerField(null=True, blank=True)
    claimed = models.PositiveIntegerField(default=0)
    limits = models.JSONField(default=list, blank=True)  # [{"period", "times"}]
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    # Who may claim (subject customer), and the order a claimed discount applies to.
    condition = models.JSONField(null=True, blank=True)
    order_condition = models.JSONField(null=True, blank=True)
    validity_days = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=RewardStatus.choices, default=RewardStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="reward_key_unique"),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_from__lt=F("available_until")),
                name="reward_window",
            ),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="reward_stock_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["program", "type", "status"])]

    def __str__(self) -> str:
        return self.key


class ClaimState(models.TextChoices):
    # A code reward: issued -> held (a reserved redemption) -> used; expired.
    ISSUED = "issued"
    HELD = "held"
    USED = "used"
    EXPIRED = "expired"
    # A material reward's fulfilment: ordered -> shipped -> delivered, or cancelled.
    ORDERED = "ordered"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Claim(TenantModel):
    """A reward a customer claimed (or was granted): what was issued, what it cost, its
    state. `public_id` is its id in the API (`claim_id`). `effect` keeps the reward's value
    as it was when claimed, so later changes to the catalog do not change issued rewards."""

    public_id = models.CharField(max_length=CLAIM_ID_MAX_LENGTH)
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="claims")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=24, choices=RewardType.choices)
    state = models.CharField(max_length=16, choices=ClaimState.choices)
    code = models.CharField(max_length=CODE_MAX_LENGTH, blank=True, default="")
    effect = models.JSONField(default=dict)
    order_condition = models.JSONField(null=True, blank=True)
    points_spent = models.PositiveIntegerField(default=0)
    spend_entry = models.ForeignKey(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    points_returned = models.PositiveIntegerField(default=0)
    gift_card = models.ForeignKey(
        GiftCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The per-period counters this claim counted in ([period, period_key]), given back
    # when a material claim is cancelled.
    counted = models.JSONField(default=list, blank=True)
    # A grant (referral, survey...) names its source: one claim per source and reward.
    source_type = models.CharField(max_length=32, blank=True, default="")
    source_id = models.CharField(max_length=128, blank=True, default="")
    # The checkout that holds or used the claim, and the order it was used on.
    redemption_id = models.CharField(max_length=64, blank=True, default="")
    order_external_id = models.CharField(max_length=128, blank=True, default="")
    # Cashback credited as store credit when the order was paid, and reversed since.
    credit_card = models.ForeignKey(
        GiftCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited = money_field(Decimal(0))
    reversed = money_field(Decimal(0))
    credit_currency = models.CharField(max_length=3, blank=True, default="")
    tracking = models.CharField(max_length=TRACKING_MAX_LENGTH, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "public_id"], name="claim_id_unique"),
            models.UniqueConstraint(
                fields=["workspace", "code"],
                condition=~Q(code=""),
                name="claim_code_unique",
            ),
            models.UniqueConstraint(
                fields=["reward", "source_type", "source_id"],
                condition=~Q(source_id=""),
                name="claim_once_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "customer", "id"]),
            models.Index(fields=["workspace", "order_external_id"]),
            models.Index(
                fields=["expires_at"],
                name="claim_expiring_idx",
                condition=Q(state="issued", expires_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class ClaimCount(TenantModel):
    """How often one customer claimed one reward in one period (`period_key`: "2026-11-26",
    "2026-W48", "2026-11", "2026" or "all", in the program's time zone), moved by
    conditional UPDATE against the reward's limit."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=16)
    period_key = models.CharField(max_length=16)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reward", "customer", "period", "period_key"], name="claim_count_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id}:{self.customer_id} {self.period_key} {self.count}"
