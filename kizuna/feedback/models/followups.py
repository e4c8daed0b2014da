"""Closing the loop: follow-up rules of a survey, the record of each rule's run on a
response, and the follow-ups (tasks for an agent) the rules create.

A `FollowUpRule` holds a condition over the survey's answers, hidden fields, variables and the
customer, and actions (a task, an email to staff, loyalty points). When a response completes,
each enabled rule whose condition holds runs once: `FollowUpRun` is unique per (rule,
response), so a retried or concurrent save can never run a rule twice. A `FollowUp` is one
task: open, in progress or closed, with an assignee, append-only notes and a due time."""

from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer
from kizuna.feedback.models.responses import Response
from kizuna.feedback.models.surveys import Survey


class FollowUpRule(TenantModel):
    """A survey's rule: when a completed response matches `condition`, run `actions`."""

    key = models.CharField(max_length=64, help_text="The rule's id in the API.")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="follow_up_rules")
    name = models.CharField(max_length=200)
    condition = models.JSONField(default=dict)
    actions = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="follow_up_rule_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class FollowUpRun(TenantModel):
    """A rule's one run on one response: what each action did (`outcomes`, in the order of
    the rule's actions: `{type, status: done|queued|sent|skipped|failed, reason?, ...}`)."""

    rule = models.ForeignKey(FollowUpRule, on_delete=models.CASCADE, related_name="runs")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    outcomes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            # The last line behind "once per response and rule".
            models.UniqueConstraint(fields=["rule", "response"], name="follow_up_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.response_id}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class FollowUp(TenantModel):
    """A task for an agent about one response (and its customer)."""

    key = models.CharField(max_length=64, help_text="The follow-up's id in the API.")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="follow_ups")
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(
        FollowUpRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    reason = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    assignee = models.CharField(max_length=254, blank=True, default="")
    # Append-only: [{text, actor: {type, id}, created_at}], oldest first.
    notes = models.JSONField(default=list)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="follow_up_key_unique"),
        ]
        indexes = [
            # The list: overdue first, then by due time (see selectors/followups.py).
            models.Index(fields=["workspace", "due_at", "id"], name="follow_up_due"),
            models.Index(fields=["workspace", "status", "due_at", "id"], name="follow_up_status"),
            models.Index(fields=["survey", "due_at"], name="follow_up_survey"),
        ]

    def __str__(self) -> str:
        return self.key
