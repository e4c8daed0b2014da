import uuid
from typing import Any, Self

from django.core.validators import RegexValidator
from django.db import models

from kizuna.core.clock import now


class Workspace(models.Model):
    """One brand. Every tenant row points at one, and every query is scoped by one."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    default_currency = models.CharField(max_length=3, default="USD")
    default_locale = models.CharField(max_length=16, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(default=now)
    # Branding of the pages respondents see (hosted surveys, the widget): docs/hosted-pages.md.
    brand_logo_url = models.URLField(
        max_length=500, blank=True, default="", help_text="An https URL of the logo."
    )
    brand_color = models.CharField(
        max_length=7,
        blank=True,
        default="",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "A colour as #RRGGBB.")],
        help_text="The primary colour, #RRGGBB (buttons, progress).",
    )

    def __str__(self) -> str:
        return self.slug


class TenantQuerySet(models.QuerySet[Any]):
    def for_workspace(self, workspace: Workspace | int) -> Self:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)


def one_or_none[T](queryset: "models.QuerySet[Any, T]") -> T | None:
    """The row a lookup by a unique key finds, or None: `first()` without the ORDER BY it
    adds (which a unique key does not need, and which costs compiling)."""
    rows = list(queryset[:1])
    return rows[0] if rows else None


class TenantModel(models.Model):
    """Base for every row that belongs to a workspace.

    Read tenant data only through `Model.objects.for_workspace(workspace)`: it is the one
    scoping helper, so a query can never see another workspace's rows by accident."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class OutboxEvent(TenantModel):
    """A typed domain event, written in the same transaction as the change it describes, and
    the only record that its subscribers have yet to run: the dispatcher reads the pending
    ones after commit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # When the dispatcher tries a failed event again (now for a new one).
    next_attempt_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(
                fields=["occurred_at"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            models.Index(fields=["workspace", "type", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class IdempotencyRecord(TenantModel):
    """The stored response of a request sent with an Idempotency-Key: one row per
    (workspace, kind of API key, key), written in the transaction of the request's writes."""

    # The kind of API key that sent the request: keys are separate per kind.
    scope = models.CharField(max_length=16, default="server")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.TextField()
    response_status = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    response_content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "scope", "key"], name="idempotency_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key


def set_prefetched(instance: models.Model, name: str, rows: list[Any]) -> None:
    """Give `instance` its related rows `name` as `prefetch_related` would, from rows the
    caller holds already (those it just wrote): presenting them costs no query."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = queryset


class JobRun(models.Model):
    """One run of a scheduled job (`kizuna.core.schedule`) for one period of its schedule.
    The row is the claim: (job, period) is unique, so however many schedulers run, a job runs
    once per period; the one whose insert wins runs it and records the outcome."""

    class Outcome(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    job = models.CharField(max_length=64)
    # The start of the period, ISO 8601 in UTC; "manual:<time>" for a run asked for by hand.
    period = models.CharField(max_length=40)
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    # What the job said it did (one line), or the error that stopped it.
    output = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    # host.pid of the scheduler that ran it.
    runner = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="job_run_once_per_period"),
        ]
        indexes = [models.Index(fields=["job", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.job} {self.period} ({self.outcome})"


class BulkImport(TenantModel):
    """One run of a bulk import of facts (orders, events) from a CSV, XLSX or JSON lines
    file, with its progress, counts and per-row errors (`kizuna.core.imports.runs`). An upload
    waits `queued` until a worker takes it; its rows are then written in batches, each
    committed with the run's checkpoint."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    kind = models.CharField(max_length=32)  # orders, events: a registered import kind
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)
    file_size = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=16, default="api")  # api or command
    # What the caller chose, e.g. {"emit_events": true}.
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    errors_truncated = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=now)
    started_at = models.DateTimeField(null=True, blank=True)
    checkpoint_at = models.DateTimeField(default=now)
    interruptions = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "checkpoint_at"])]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, 100 * self.processed_rows // self.total_rows)


class BulkImportFile(TenantModel):
    """The uploaded file of a bulk import, kept in the database until its run completes."""

    run = models.OneToOneField(
        BulkImport, primary_key=True, on_delete=models.CASCADE, related_name="upload"
    )
    content = models.BinaryField()

    def __str__(self) -> str:
        return f"file of import {self.run_id}"


class AuditEntry(TenantModel):
    """Who changed what, when, from what to what: written in the transaction of the change it
    records (`kizuna.core.audit.record`), never edited."""

    actor_type = models.CharField(max_length=16)  # staff, api_key or system
    actor_id = models.CharField(max_length=128, blank=True, default="")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "created_at", "id"]),
            models.Index(fields=["workspace", "object_type", "object_id", "created_at"]),
            models.Index(fields=["workspace", "actor_type", "actor_id", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
