"""Email invitations to a survey: one row per customer invited, with the personal link it
carries, its one reminder and its unsubscribe token (docs/survey-distribution.md).

An invitation is claimed before its email goes out (`status` queued or failed -> sending,
by a conditional UPDATE), and its reminder likewise (`reminded_at` null -> set), so that
concurrent runs never email a customer twice."""

from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer
from kizuna.feedback.models.links import SurveyLink
from kizuna.feedback.models.responses import Response
from kizuna.feedback.models.surveys import Survey


class InvitationStatus(models.TextChoices):
    QUEUED = "queued"  # waiting for the sending task
    SENDING = "sending"  # claimed by a run; its email is on its way
    SENT = "sent"
    FAILED = "failed"  # the SMTP server refused it; retried up to MAX_ATTEMPTS
    THROTTLED = "throttled"  # dropped by the fatigue rules, never sent
    SKIPPED = "skipped"  # consent withdrawn (or email removed) before it was sent


class Invitation(TenantModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    # The request that created it (`POST /surveys/{id}/invitations` answers its id).
    batch = models.CharField(max_length=64)
    link = models.ForeignKey(
        SurveyLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.QUEUED
    )
    # Why it was throttled (recontact, cooldown, answered) or skipped (no_consent, no_email).
    reason = models.CharField(max_length=16, blank=True, default="")
    language = models.CharField(max_length=35, blank=True, default="")
    unsubscribe_token = models.CharField(max_length=64, unique=True)
    remind_after_days = models.PositiveIntegerField(default=3)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    # The run that claimed it (a random token) and when; cleared when its outcome is stored.
    claim = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the reminder is due (sent_at + remind_after_days; null: none), and when it was
    # claimed: a reminder is sent at most once.
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_attempts = models.PositiveSmallIntegerField(default=0)
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"], name="invitation_waiting_idx"),
            models.Index(fields=["survey", "batch"]),
            models.Index(
                fields=["remind_at"],
                condition=models.Q(status="sent", reminded_at__isnull=True),
                name="invitation_remind_idx",
            ),
            models.Index(
                fields=["claim"], condition=~models.Q(claim=""), name="invitation_claim_idx"
            ),
            models.Index(fields=["workspace", "customer", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.customer_id} {self.status}"
