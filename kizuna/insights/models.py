import re

from django.db import models
from django.db.models import Q

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer

# Ids of objects that configure the product, chosen by the caller (API.md).
SEGMENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Segment(TenantModel):
    """A named condition over customers. Live, it is compiled at query time; materialized,
    a refresh also records who entered and who left (SegmentMembership) and emits
    `segment.entered` and `segment.left`."""

    key = models.CharField(max_length=64, help_text="The segment's id in the API.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    condition = models.JSONField()
    materialized = models.BooleanField(default=False)
    # The number of members at the last refresh (None before the first one).
    size = models.PositiveIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="segment_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class SegmentMembership(TenantModel):
    """One stay of a customer in a materialized segment: from the refresh that saw the
    customer enter to the one that saw the customer leave (`left_at`, None while a member).
    A customer who comes back gets a new row."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One current stay per customer: two refreshes can never both add one.
            models.UniqueConstraint(
                fields=["segment", "customer"],
                condition=Q(left_at__isnull=True),
                name="segment_member_once",
            ),
        ]
        indexes = [models.Index(fields=["segment", "left_at"], name="segment_member_left_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.segment_id}"


class SegmentRefresh(TenantModel):
    """The record of one refresh: its size, who entered and left, and how long it took."""

    class Trigger(models.TextChoices):
        API = "api"
        SCHEDULE = "schedule"
        CHANGE = "change"
        DEMO = "demo"

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="refreshes")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    size = models.PositiveIntegerField()
    entered = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["segment", "started_at"])]

    def __str__(self) -> str:
        return f"refresh of {self.segment_id} at {self.started_at}"
