"""Referral programs, each customer's referral code, and the referrals themselves
(docs/referrals.md, ADR 0038).

A referral is attributed once per referee and program (a partial unique constraint over the
live statuses), converts once (a conditional UPDATE from `pending`), and a rejected one keeps
its reason. Rewards are granted through loyalty and vouchers; what was granted is recorded on
the referral (`rewards`)."""

from django.db import models
from django.db.models import Q

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer
from kizuna.loyalty.models import Program

NAME_MAX_LENGTH = 200
CODE_MAX_LENGTH = 64
SOURCE_ID_MAX_LENGTH = 128


class ProgramStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"


class Attribution(models.TextChoices):
    """How a referee may be attributed: with the code at sign-up (`POST /referrals`), with
    the code on the first order (`metadata.referral_code`), or both."""

    SIGNUP = "signup"
    FIRST_ORDER = "first_order"
    BOTH = "both"


class ReferralProgram(TenantModel):
    """Who gets what when a referred customer converts. `key` is the program's id in the API."""

    key = models.CharField(max_length=64)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    status = models.CharField(
        max_length=16, choices=ProgramStatus.choices, default=ProgramStatus.ACTIVE
    )
    # The loyalty program that points rewards are credited in (required for them).
    loyalty_program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"type": "points", "points"} | {"type": "voucher", "campaign_id"} |
    # {"type": "reward", "reward_id"} | None (nothing for that side).
    referrer_reward = models.JSONField(null=True, blank=True)
    referee_reward = models.JSONField(null=True, blank=True)
    # {"type": "first_order", "min_total"?, "currency"?} | {"type": "event", "event"}
    conversion = models.JSONField()
    attribution = models.CharField(
        max_length=16, choices=Attribution.choices, default=Attribution.BOTH
    )
    # [{"period": "day"|"week"|"month"|"year"|"all_time", "times": N}] per referrer.
    caps = models.JSONField(default=list)
    # {"prefix", "length"}: how the customers' codes look.
    code_spec = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="referral_program_key"),
        ]

    def __str__(self) -> str:
        return self.key


class ReferralCode(TenantModel):
    """A customer's code in a program: one per customer and program, made on first read.
    `code` is normalized (upper case, no spaces) and unique in the workspace, so a code
    alone names its program and its owner."""

    program = models.ForeignKey(ReferralProgram, on_delete=models.CASCADE, related_name="codes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=CODE_MAX_LENGTH)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "customer"], name="referral_code_once_per_customer"
            ),
            models.UniqueConstraint(fields=["workspace", "code"], name="referral_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class Channel(models.TextChoices):
    SIGNUP = "signup"
    FIRST_ORDER = "first_order"


class ReferralStatus(models.TextChoices):
    PENDING = "pending"
    CONVERTED = "converted"
    REJECTED = "rejected"


class RejectReason(models.TextChoices):
    SELF_REFERRAL = "self_referral"
    CIRCULAR_REFERRAL = "circular_referral"
    DUPLICATE_IDENTITY = "duplicate_identity"
    CAP_REACHED = "cap_reached"
    EXISTING_CUSTOMER = "existing_customer"


LIVE = (ReferralStatus.PENDING, ReferralStatus.CONVERTED)


class Referral(TenantModel):
    """One attribution of a referee to a referrer's code. `pending` until a conversion
    (a qualifying paid order or a named event) turns it `converted`, once; `rejected` with a
    `reason` when an abuse check refused it (kept, and listed, so that the reason is seen)."""

    program = models.ForeignKey(ReferralProgram, on_delete=models.CASCADE, related_name="referrals")
    code = models.ForeignKey(ReferralCode, on_delete=models.PROTECT, related_name="+")
    referrer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    referee = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    reason = models.CharField(max_length=32, choices=RejectReason.choices, blank=True, default="")
    # The order that attributed the referee (channel first_order), by its external id.
    order_id = models.CharField(max_length=SOURCE_ID_MAX_LENGTH, blank=True, default="")
    attributed_at = models.DateTimeField(default=now)
    converted_at = models.DateTimeField(null=True, blank=True)
    # What converted it: ("order", external id) or ("event", the event's client id).
    conversion_type = models.CharField(max_length=16, blank=True, default="")
    conversion_id = models.CharField(max_length=SOURCE_ID_MAX_LENGTH, blank=True, default="")
    # What the conversion granted: [{"role", "type", ...}] (docs/referrals.md, Rewards).
    rewards = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "referee"],
                condition=Q(status__in=LIVE),
                name="referral_once_per_referee",
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.REJECTED, reason__gt="")
                | (~Q(status=ReferralStatus.REJECTED) & Q(reason="")),
                name="referral_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.CONVERTED) | Q(converted_at__isnull=False),
                name="referral_converted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "referrer", "id"]),
            models.Index(fields=["workspace", "referee", "id"]),
            models.Index(fields=["referee", "status"]),
            models.Index(fields=["program", "referrer", "attributed_at"]),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"
