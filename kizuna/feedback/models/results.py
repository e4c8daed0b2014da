"""Daily counts of survey results, kept current with the answers (the results rollup).

A `ResultCount` is how many of something one survey had on one day of its time zone: the
answers of completed responses per element, row, choice and value (`answer`), the completed
responses that answered each element (`respondents`), the responses started (`start`) and
completed (`completion`). Results over whole days read these few rows instead of every
answer (ADR 0027). `kizuna.feedback.results.rollup.apply_answers` moves them in the
transaction that rewrites a response's answer rows; `rebuild` recomputes a survey's."""

from django.db import models

from kizuna.core.models import TenantModel
from kizuna.feedback.models.surveys import Survey


class ResultMeasure(models.TextChoices):
    ANSWER = "answer"
    RESPONDENTS = "respondents"
    START = "start"
    COMPLETION = "completion"


class ResultCount(TenantModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The day, in the survey's time zone.")
    measure = models.CharField(max_length=12, choices=ResultMeasure.choices)
    element_id = models.CharField(max_length=128, blank=True, default="")
    row = models.CharField(max_length=128, blank=True, default="")
    choice = models.CharField(max_length=128, blank=True, default="")
    value = models.CharField(
        max_length=40, blank=True, default="", help_text="The answer's number, as text."
    )
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "day", "measure", "element_id", "row", "choice", "value"],
                name="result_count_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day} {self.measure} {self.element_id}"
