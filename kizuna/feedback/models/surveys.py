"""Surveys and their definitions. A survey is configured once (`Survey`); its definition is
versioned (`SurveyVersion`, one row per version, every one kept). The survey row carries a copy
of its current definition, written in the transaction that writes the version, so that a survey
is read in one query (ADR 0024)."""

from datetime import datetime

from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel


class SurveyStatus(models.TextChoices):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Survey(TenantModel):
    """A survey: who may see it (targeting, recontact), when (schedule, status), in which
    languages, and its current definition.

    `status` is the status as last set by a person (draft, scheduled or active once
    published, paused, closed); `effective_status` is what the schedule makes of it now: a
    scheduled survey whose start has come is active, any published survey whose end has come
    is closed. The API presents the effective one."""

    key = models.CharField(max_length=64, help_text="The survey's id in the API.")
    name = models.CharField(max_length=200)
    languages = models.JSONField(help_text='Language tags, e.g. ["en", "ja", "ko"].')
    default_language = models.CharField(max_length=35)
    timezone = models.CharField(max_length=64, default="UTC")
    targeting = models.JSONField(null=True, blank=True)
    recontact = models.JSONField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    # The current version's number and definition (a copy of SurveyVersion.definition).
    version = models.PositiveIntegerField(default=1)
    definition = models.JSONField()
    # An imported survey's own JSON (SurveyJS), which its evaluation runs on; a copy of the
    # current version's (ADR 0028). "" and null for a survey written natively.
    source_format = models.CharField(max_length=16, blank=True, default="")
    source = models.JSONField(null=True, blank=True)
    # The first publication: from then on a changed definition is a new version.
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="survey_key_unique"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="survey_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def effective_status(self, moment: datetime) -> str:
        if self.status in (SurveyStatus.DRAFT, SurveyStatus.CLOSED):
            return self.status
        if self.ends_at is not None and self.ends_at <= moment:
            return SurveyStatus.CLOSED
        if self.status == SurveyStatus.PAUSED:
            return SurveyStatus.PAUSED
        if self.starts_at is not None and self.starts_at > moment:
            return SurveyStatus.SCHEDULED
        return SurveyStatus.ACTIVE


class SurveyVersion(TenantModel):
    """One version of a survey's definition. Before the survey is first published its one
    version is edited in place; afterwards a changed definition is a new row, and the rows
    before it are never changed again, so answers stay tied to the version they answered."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    source_format = models.CharField(max_length=16, blank=True, default="")
    source = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} v{self.number}"
