"""Survey fatigue (docs/survey-distribution.md, "Fatigue"; ADR 0030): who was contacted by
which survey and when (`Contact`: a display, or a sent invitation), the workspace's cooldown
across surveys (`FeedbackSettings`), and what the rules dropped (`FatigueCount`, per survey,
channel, kind, reason and day)."""

from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel, Workspace
from kizuna.customers.models import Customer
from kizuna.feedback.models.surveys import Survey


class ContactKind(models.TextChoices):
    DISPLAY = "display"
    INVITATION = "invitation"


class Contact(TenantModel):
    """One contact of a customer (or of a browser, by its token) by a survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    browser_token = models.CharField(max_length=128, blank=True, default="")
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    channel = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "customer", "created_at"]),
            models.Index(
                fields=["workspace", "browser_token", "created_at"],
                condition=~models.Q(browser_token=""),
                name="contact_browser_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.kind} {self.created_at:%Y-%m-%d}"


class FeedbackSettings(models.Model):
    """A workspace's survey settings: `cooldown_days`, the days after a contact by any survey
    during which no other survey contacts the customer (0: no cooldown)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    cooldown_days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.workspace_id}: cooldown {self.cooldown_days} days"


class FatigueCount(TenantModel):
    """How many displays or invitations the fatigue rules dropped, per survey, channel,
    kind, reason and day (UTC)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    reason = models.CharField(max_length=16)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "channel", "kind", "reason", "day"],
                name="fatigue_count_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day} {self.kind} {self.reason}: {self.count}"
