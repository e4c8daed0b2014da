"""Loyalty programs, their rules, tiers and milestones, and the points ledger.

The ledger is append-only (`LedgerEntry`); each account keeps cached balances (`Account`),
written in the same transaction as the entries, and earned points live in lots (`PointLot`)
that spends consume, soonest-expiring first, recording what they took (`LotAllocation`) so
that a rollback or a refund gives back exactly that. `manage.py verify_ledger` checks that
the caches and the lots agree with the entries."""

from django.db import models
from django.db.models import F, Q

from kizuna.core.clock import now
from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer

NAME_MAX_LENGTH = 200
REASON_MAX_LENGTH = 500


class ProgramStatus(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


class Enrolment(models.TextChoices):
    AUTOMATIC = "automatic"
    EXPLICIT = "explicit"


class Program(TenantModel):
    """A loyalty program: how customers earn, keep and lose points, in one currency and time
    zone. Its policies are JSON objects in the shapes API.md gives, checked when saved."""

    key = models.CharField(
        max_length=OBJECT_ID_MAX_LENGTH, help_text="The program's id in the API."
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    points_name = models.JSONField(default=dict)
    currency = models.CharField(max_length=3)
    timezone = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=ProgramStatus.choices)
    enrolment = models.CharField(max_length=16, choices=Enrolment.choices)
    pending = models.JSONField(null=True, blank=True)
    expiry = models.JSONField(default=dict)
    returns = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="program_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class Tier(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    key = models.CharField(max_length=OBJECT_ID_MAX_LENGTH)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    rank = models.PositiveIntegerField()
    qualify = models.JSONField()
    grace_days = models.PositiveIntegerField(default=0)
    benefits = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="tier_key_unique"),
            models.UniqueConstraint(fields=["program", "rank"], name="tier_rank_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class EarningRule(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rules")
    key = models.CharField(max_length=OBJECT_ID_MAX_LENGTH)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    status = models.CharField(max_length=16, default="active")
    trigger = models.JSONField()
    condition = models.JSONField(null=True, blank=True)
    effect = models.JSONField()
    priority = models.IntegerField(default=100)
    stop_after = models.BooleanField(default=False)
    limits = models.JSONField(default=list, blank=True)
    budget_points = models.PositiveBigIntegerField(null=True, blank=True)
    # Points the rule has given, moved in the database with each award (the budget's meter).
    points_awarded = models.BigIntegerField(default=0)
    active_from = models.DateTimeField(null=True, blank=True)
    active_until = models.DateTimeField(null=True, blank=True)
    schedule = models.JSONField(null=True, blank=True)
    tier_multipliers = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "key"],
                condition=Q(deleted_at__isnull=True),
                name="earning_rule_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(budget_points__isnull=True) | Q(points_awarded__lte=F("budget_points")),
                name="earning_rule_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Milestone(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="milestones")
    key = models.CharField(max_length=OBJECT_ID_MAX_LENGTH)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    goal = models.JSONField()
    points = models.PositiveIntegerField(default=0)
    badge = models.JSONField(null=True, blank=True)
    repeat = models.CharField(max_length=16, default="once")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="milestone_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class Account(TenantModel):
    """A customer's membership of a program, with the balances the ledger adds up to."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="accounts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField(default=now)
    active = models.BigIntegerField(default=0)
    pending = models.BigIntegerField(default=0)
    lifetime_earned = models.BigIntegerField(default=0)
    spent = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    # Copied from the program's returns policy: may a clawback take the balance below zero?
    allow_negative = models.BooleanField(default=False)
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier_since = models.DateTimeField(null=True, blank=True)
    # The tier is kept at least until then (the end of its qualification period, and grace).
    tier_until = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "customer"], name="account_once"),
            models.CheckConstraint(
                condition=Q(active__gte=0) | Q(allow_negative=True), name="account_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="account_pending_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "customer"])]

    def __str__(self) -> str:
        return f"{self.program_id}:{self.customer_id}"

    @property
    def tier_key(self) -> str | None:
        tier = self.tier
        return tier.key if tier is not None else None


class EntryType(models.TextChoices):
    EARN = "earn"
    PENDING = "pending"
    ACTIVATE = "activate"
    SPEND = "spend"
    REFUND_CLAWBACK = "refund_clawback"
    REFUND_RETURN = "refund_return"
    EXPIRE = "expire"
    ADJUST = "adjust"
    ROLLBACK = "rollback"
    CANCEL = "cancel"


class LedgerEntry(TenantModel):
    """One movement of points, never edited. `points` moves the active balance (or, for
    `pending` and the pending part of a clawback or cancel, the pending balance: `to_pending`);
    `balance_after` is the account's active balance after it."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    type = models.CharField(max_length=16, choices=EntryType.choices)
    points = models.BigIntegerField()
    pending_points = models.BigIntegerField(default=0)
    balance_after = models.BigIntegerField()
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True, default="")
    source_type = models.CharField(max_length=32, blank=True, default="")
    source_id = models.CharField(max_length=128, blank=True, default="")
    rule_key = models.CharField(max_length=OBJECT_ID_MAX_LENGTH, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=now)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            # A fact earns once per rule: the same order sent twice never earns twice.
            models.UniqueConstraint(
                fields=["account", "source_type", "source_id", "rule_key"],
                condition=Q(type__in=["earn", "pending"]) & ~Q(source_type=""),
                name="ledger_earn_once",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "created_at", "id"]),
            models.Index(fields=["workspace", "source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.points}"


class PointLot(TenantModel):
    """Points earned together, with what is left of them. Pending until `activates_at` (or
    the event the program waits for); active until `expires_at` (None: never)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    pending = models.BooleanField(default=False)
    activates_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    source_type = models.CharField(max_length=32, blank=True, default="")
    source_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="lot_remaining_within_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="lot_expiring_idx",
                condition=Q(remaining__gt=0, pending=False, expires_at__isnull=False),
            ),
            models.Index(
                fields=["activates_at"], name="lot_activating_idx", condition=Q(pending=True)
            ),
            models.Index(fields=["account", "pending", "expires_at", "id"]),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.amount}"


class LotAllocation(models.Model):
    """Points an entry (a spend, an expiry, a clawback) took from a lot, or (negative) gave
    back to it (a rollback, a refund's return)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="allocations")
    lot = models.ForeignKey(PointLot, on_delete=models.PROTECT, related_name="allocations")
    points = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.points} from lot {self.lot_id}"


class TierChange(TenantModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tier_changes")
    previous = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=32)
    occurred_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.previous_id} -> {self.tier_id}"


class MilestoneAward(TenantModel):
    """A milestone reached: once, or once per period (`period` names it)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="awards")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="awards")
    period = models.CharField(max_length=32, default="")
    achieved_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "milestone", "period"], name="milestone_award_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id} {self.period}"


class MilestoneHit(TenantModel):
    """One fact that counts toward a milestone (an order, an event), for its progress."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="hits")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="hits")
    source_type = models.CharField(max_length=32)
    source_id = models.CharField(max_length=128)
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "account", "source_type", "source_id"],
                name="milestone_hit_once",
            ),
        ]
        indexes = [models.Index(fields=["milestone", "account", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.source_type} {self.source_id}"
