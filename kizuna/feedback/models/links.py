"""Links to a survey: the one public link of a survey, which anyone may open, and personal
links, one per customer invited, each answered once (docs/survey-distribution.md).

The token is the link's only secret and its whole identity: a hosted page resolves it without
knowing the workspace, so it is unique across workspaces (128 random bits)."""

from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer
from kizuna.feedback.models.responses import Response
from kizuna.feedback.models.surveys import Survey


class LinkKind(models.TextChoices):
    PUBLIC = "public"  # anyone; one per survey
    PERSONAL = "personal"  # one customer; used up by the first final response


class SurveyLink(TenantModel):
    """A link to a survey, `{KIZUNA_PUBLIC_URL}/s/{token}`."""

    token = models.CharField(max_length=64, unique=True)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    # A personal link's use: set once, by a conditional UPDATE, when its response is final.
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey"],
                condition=models.Q(kind="public"),
                name="survey_link_public_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="public", customer__isnull=True)
                | models.Q(kind="personal", customer__isnull=False),
                name="survey_link_customer_personal",
            ),
        ]
        indexes = [models.Index(fields=["survey", "customer"])]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.kind}"
