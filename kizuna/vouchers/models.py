"""Voucher campaigns and their codes, and gift cards and store credit with their balance
ledger (docs/vouchers.md, ADR 0029).

Counters move in the database: a voucher's `uses` and `held` change by conditional UPDATE
(never read-modify-write), and CHECK constraints hold the last line (uses within max_uses,
balances never below zero)."""

from django.db import models
from django.db.models import F, Q

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.core.money import money_field
from kizuna.customers.models import Customer

NAME_MAX_LENGTH = 200
CODE_MAX_LENGTH = 64
REASON_MAX_LENGTH = 500


class CampaignStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"


class Campaign(TenantModel):
    """A set of voucher codes that share one discount, usage limits, validity and order
    condition. `key` is the campaign's id in the API."""

    key = models.CharField(max_length=64)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    # {"type": "amount"|"percent"|"unit"|"free_shipping", ...} as checked by the services.
    discount = models.JSONField()
    # {"prefix", "postfix", "charset", "length", "pattern"}: how generated codes look.
    code_spec = models.JSONField(default=dict)
    # Uses of each code (None: unlimited) and of the campaign by one customer (None: any).
    per_code = models.PositiveIntegerField(null=True, blank=True, default=1)
    per_customer = models.PositiveIntegerField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    # An order condition in the condition language (subjects customer and order).
    condition = models.JSONField(null=True, blank=True)
    # Every code of the campaign belongs to this customer (None: codes are public unless
    # the code itself names a customer).
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="voucher_campaign_key"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lt=F("valid_until")),
                name="voucher_campaign_window",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class VoucherSource(models.TextChoices):
    GENERATED = "generated"
    IMPORTED = "imported"


class Voucher(TenantModel):
    """One code of a campaign. `code` is normalized (upper case, no spaces): lookups
    normalize what they are given, so codes compare case-insensitively, and the unique
    constraint per workspace is on the normalized code.

    `uses` counts committed uses, `held` uses reserved by a pending redemption; both move
    by conditional UPDATE, and `uses + held` never passes `max_uses` (None: unlimited),
    copied from the campaign's `per_code` when the code is made."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(max_length=CODE_MAX_LENGTH)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=16, choices=VoucherSource.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="voucher_code_unique"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses") - F("held")),
                name="voucher_uses_within_limit",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "id"])]

    def __str__(self) -> str:
        return self.code


class CampaignCustomerUse(TenantModel):
    """How often one customer used the codes of one campaign (for `per_customer`), moved
    by conditional UPDATE like a voucher's uses."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    uses = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="voucher_customer_use_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} {self.uses}"


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class CodeGeneration(TenantModel):
    """A request to generate `requested` codes for a campaign, done in the background in
    batches; each batch commits its codes with `created` (the checkpoint), so a run that
    stops resumes where it stood."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    requested = models.PositiveIntegerField()
    created = models.PositiveIntegerField(default=0)
    # Drawn codes that were taken already (by another code of the workspace) and redrawn.
    collisions = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=now)
    started_at = models.DateTimeField(null=True, blank=True)
    checkpoint_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "checkpoint_at"])]

    def __str__(self) -> str:
        return f"generation {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.COMPLETED:
            return 100
        return min(100, 100 * self.created // self.requested) if self.requested else 0


class GiftCardKind(models.TextChoices):
    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"


class GiftCardStatus(models.TextChoices):
    ACTIVE = "active"
    EXPIRED = "expired"


class GiftCard(TenantModel):
    """Stored value in one currency: a gift card (anyone holding the code may spend it) or
    store credit (one customer's). `balance` is the cache of its ledger, written in the
    transaction of each entry."""

    code = models.CharField(max_length=CODE_MAX_LENGTH)
    kind = models.CharField(max_length=16, choices=GiftCardKind.choices)
    currency = models.CharField(max_length=3)
    initial_amount = money_field()
    balance = money_field()
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=GiftCardStatus.choices, default=GiftCardStatus.ACTIVE
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="gift_card_code_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind="store_credit") | Q(customer__isnull=False),
                name="store_credit_has_customer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="gift_card_expiring_idx",
                condition=Q(status="active", expires_at__isnull=False),
            ),
            models.Index(fields=["workspace", "customer"]),
        ]

    def __str__(self) -> str:
        return self.code


class EntryType(models.TextChoices):
    ISSUE = "issue"
    TOP_UP = "top_up"
    SPEND = "spend"
    REFUND = "refund"
    EXPIRE = "expire"
    ADJUST = "adjust"


class GiftCardEntry(TenantModel):
    """One movement of a card's balance, never edited: `amount` is signed (a spend is
    negative), `balance_after` the card's balance after it."""

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries")
    type = models.CharField(max_length=16, choices=EntryType.choices)
    amount = money_field()
    currency = models.CharField(max_length=3)
    balance_after = money_field()
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True, default="")
    # What caused it (a redemption, an order...): a spend per source happens once.
    source_type = models.CharField(max_length=32, blank=True, default="")
    source_id = models.CharField(max_length=128, blank=True, default="")
    occurred_at = models.DateTimeField(default=now)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="gift_card_entry_not_negative"
            ),
            models.UniqueConstraint(
                fields=["card", "type", "source_type", "source_id"],
                condition=~Q(source_id=""),
                name="gift_card_entry_once_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["card", "occurred_at", "id"]),
            models.Index(fields=["workspace", "currency", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} {self.currency}"
