"""Displays, responses and answers.

A `Display` is one showing of a survey (a page opened, a widget shown, an email's link
followed): starts, completions and drop-off are counted from displays and responses. A
`Response` is one customer's answers to one survey, keyed by the client's `submission_id` so
that retries and partial saves update one row; it keeps the answers as sent (by element id),
the time spent per element, the served language and the metadata. `Answer` is the projection
of a response's answers, one row per answer (one per chosen choice of a multiple choice, one
per row of a matrix, one per ranked choice), typed by element kind, rewritten in the
transaction that saves the response: results are aggregates over it in SQL."""

from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel
from kizuna.customers.models import Customer
from kizuna.feedback.models.surveys import Survey


class Display(TenantModel):
    """One showing of a survey to someone, on a channel."""

    key = models.CharField(max_length=64, help_text="The display's id in the API.")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="displays")
    version = models.PositiveIntegerField(help_text="The definition version shown.")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="display_key_unique"),
        ]
        indexes = [models.Index(fields=["survey", "created_at"])]

    def __str__(self) -> str:
        return self.key


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress"  # answers saved, not finished
    COMPLETED = "completed"  # finished, at an ending or the built-in thank-you
    SCREENED_OUT = "screened_out"  # ended by a screen-out question or a full quota


class Response(TenantModel):
    """One customer's (or one browser's) answers to one survey."""

    key = models.CharField(max_length=64, help_text="The response's id in the API.")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.PositiveIntegerField(help_text="The definition version answered.")
    submission_id = models.CharField(max_length=128)
    display = models.ForeignKey(
        Display, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    ending = models.CharField(max_length=128, blank=True, default="")
    language = models.CharField(max_length=35)
    channel = models.CharField(max_length=16, blank=True, default="")
    device = models.CharField(max_length=16, blank=True, default="")
    answers = models.JSONField(default=dict, help_text="The answers as sent, by element id.")
    hidden = models.JSONField(default=dict)
    data = models.JSONField(default=dict, help_text="Answers after calculations (variables).")
    time_ms = models.JSONField(default=dict)
    meta = models.JSONField(default=dict)
    # A token the browser keeps (a cookie, local storage) so that one browser answers a public
    # link once; "" when the client sends none.
    browser_token = models.CharField(max_length=128, blank=True, default="")
    # The quota that ended or screened out the response ("" for none).
    quota = models.CharField(max_length=128, blank=True, default="")
    # SHA-256 of the last saved body: a finished response replays an identical retry.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="response_key_unique"),
            models.UniqueConstraint(
                fields=["survey", "submission_id"], name="response_submission_unique"
            ),
            # One browser finishes a survey once (ADR 0026): the last line behind the check.
            models.UniqueConstraint(
                fields=["survey", "browser_token"],
                condition=models.Q(status__in=("completed", "screened_out"))
                & ~models.Q(browser_token=""),
                name="response_browser_once",
            ),
        ]
        indexes = [
            models.Index(fields=["survey", "started_at"]),
            models.Index(fields=["survey", "completed_at"]),
            models.Index(fields=["survey", "browser_token"]),
        ]

    def __str__(self) -> str:
        return self.key


class AnswerKind(models.TextChoices):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    RATING = "rating"
    CHOICE = "choice"  # single choice, dropdown, one chosen choice of a multiple choice
    RANKING = "ranking"  # one ranked choice: `number` is its rank, 1 first
    MATRIX = "matrix"  # one row: `row` the row id, `choice` the column chosen
    TEXT = "text"
    NUMBER = "number"  # a text element in the number format
    EMAIL = "email"  # a text element in the email format (not analysed for sentiment)
    URL = "url"  # a text element in the url format (not analysed for sentiment)
    DATE = "date"
    BOOLEAN = "boolean"  # boolean and consent: `number` 1 or 0


class Answer(TenantModel):
    """One answer of a response, typed by its element's kind. `answered_at` is the time the
    response was last saved; `sentiment` is left for the text analytics of open answers."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answer_rows")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    element_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=AnswerKind.choices)
    row = models.CharField(max_length=128, blank=True, default="")
    choice = models.CharField(max_length=128, blank=True, default="")
    number = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True, default="")
    finished = models.BooleanField(default=False)
    answered_at = models.DateTimeField(default=now)
    sentiment = models.CharField(max_length=8, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "element_id", "answered_at"]),
            models.Index(fields=["response"]),
            # Survey results' drop-off: the unfinished answer rows of a survey by time.
            models.Index(
                # Every column the query reads, so that it never visits the table (as key
                # columns: SQLite has no INCLUDE).
                fields=["survey", "answered_at", "workspace", "response", "element_id", "customer"],
                condition=models.Q(finished=False),
                name="answer_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.element_id}"


class QuotaCount(TenantModel):
    """How many completed responses a quota of a survey has counted. Moved only by a
    conditional UPDATE (`count < limit`) in the transaction that completes a response, so
    that concurrent responses never count past the limit."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="quota_counts")
    quota_id = models.CharField(max_length=128)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "quota_id"], name="quota_count_unique"),
            models.CheckConstraint(
                condition=models.Q(count__gte=0), name="quota_count_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.quota_id}: {self.count}"
