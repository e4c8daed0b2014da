import uuid
from typing import Any

from django.db import models

from kizuna.core.clock import now
from kizuna.core.ids import EXTERNAL_ID_MAX_LENGTH
from kizuna.core.models import TenantModel
from kizuna.core.text import ISO_DATE

# The longest value of each profile text field: the columns, the API schemas, the services
# and the file import all read these.
PROFILE_MAX_LENGTHS = {
    "email": 254,
    "phone": 32,
    "first_name": 100,
    "last_name": 100,
    "locale": 35,
    "timezone": 64,
}
PROFILE_STRING_FIELDS = tuple(PROFILE_MAX_LENGTHS)
ATTRIBUTE_KEY_MAX_LENGTH = 64
EVENT_NAME_MAX_LENGTH = 100


class AttributeType(models.TextChoices):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


def infer_attribute_type(value: Any) -> AttributeType:
    """The type a first value gives an attribute: booleans, numbers, YYYY-MM-DD dates, else
    strings (a later value must match the type the definition then holds)."""
    if isinstance(value, bool):
        return AttributeType.BOOLEAN
    if isinstance(value, int | float):
        return AttributeType.NUMBER
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return AttributeType.DATE
    return AttributeType.STRING


class AttributeDefinition(TenantModel):
    """The type of a custom attribute, fixed when the attribute is first written."""

    key = models.CharField(max_length=ATTRIBUTE_KEY_MAX_LENGTH)
    type = models.CharField(max_length=16, choices=AttributeType.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="attribute_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.type}"


class Customer(TenantModel):
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    email = models.CharField(max_length=PROFILE_MAX_LENGTHS["email"], blank=True, default="")
    phone = models.CharField(max_length=PROFILE_MAX_LENGTHS["phone"], blank=True, default="")
    first_name = models.CharField(
        max_length=PROFILE_MAX_LENGTHS["first_name"], blank=True, default=""
    )
    last_name = models.CharField(
        max_length=PROFILE_MAX_LENGTHS["last_name"], blank=True, default=""
    )
    birthdate = models.DateField(null=True, blank=True)
    locale = models.CharField(max_length=PROFILE_MAX_LENGTHS["locale"], blank=True, default="")
    timezone = models.CharField(max_length=PROFILE_MAX_LENGTHS["timezone"], blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    # Set when the customer's personal data was erased (ADR 0012). The row stays, under a
    # generated external_id, because the orders and refunds kept for the books point at it.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="customer_external_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "email"]),
            models.Index(fields=["workspace", "phone"]),
            models.Index(fields=["workspace", "id"]),
        ]

    def __str__(self) -> str:
        return self.external_id


class CustomerErasure(TenantModel):
    """The record that a customer's personal data was erased (ADR 0012). It keeps no personal
    data: the SHA-256 of the erased external_id answers a repeated request for the same id,
    and `customer` is the anonymised row the kept orders and refunds belong to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasures"
    )
    external_id_sha256 = models.CharField(max_length=64)
    erased_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "external_id_sha256", "erased_at"])]

    def __str__(self) -> str:
        return f"erasure {self.id}"


class ConsentChannel(models.TextChoices):
    EMAIL_MARKETING = "email_marketing"
    SMS_MARKETING = "sms_marketing"
    PUSH_MARKETING = "push_marketing"
    WHATSAPP_MARKETING = "whatsapp_marketing"
    POSTAL_MARKETING = "postal_marketing"
    SURVEYS = "surveys"


class ConsentStatus(models.TextChoices):
    GRANTED = "granted"
    DENIED = "denied"
    PENDING = "pending"


class Consent(TenantModel):
    """The current consent of one customer on one channel."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=32, choices=ConsentChannel.choices)
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="consent_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}={self.status}"


class ConsentChange(TenantModel):
    """Append-only history of consent: who said what, when, through which source."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_changes")
    channel = models.CharField(max_length=32, choices=ConsentChannel.choices)
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    previous_status = models.CharField(max_length=16, blank=True, default="")
    source = models.CharField(max_length=32, default="api")
    occurred_at = models.DateTimeField(default=now)
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["customer", "channel", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.channel}: {self.previous_status or '-'} -> {self.status}"


class CustomEvent(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="events")
    client_id = models.CharField(
        max_length=EXTERNAL_ID_MAX_LENGTH, help_text="The integrator's event id."
    )
    name = models.CharField(max_length=EVENT_NAME_MAX_LENGTH)
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "client_id"], name="event_client_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "name", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.name} {self.client_id}"


class TimelineEntry(TenantModel):
    """What happened to a customer, one row per fact, written in the transaction of the fact.
    Later apps (points, redemptions, survey responses, messages) append their own kinds."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=32)
    object_id = models.CharField(max_length=128)
    occurred_at = models.DateTimeField()
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["customer", "occurred_at", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class CustomerImport(TenantModel):
    """One run of a customer import (CSV or XLSX), with its progress, counts and per-row
    errors. An upload waits `queued` until a worker takes it; the rows are then imported in
    batches, each committed with the run's checkpoint (processed_rows, counts, errors)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    class Source(models.TextChoices):
        API = "api"
        COMMAND = "command"

    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)
    file_size = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    columns = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    errors_truncated = models.BooleanField(default=False)
    # Why a failed run stopped: a problem with the file, or an interruption.
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=now)
    # When the run last moved (created, started, or a batch committed): a queued or running
    # run that has not moved for a while belongs to a lost task or a killed worker.
    checkpoint_at = models.DateTimeField(default=now)
    # How often an internal error stopped the run (the sweep resumes it a few times).
    interruptions = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        """processed_rows as a whole percentage of total_rows (100 once completed)."""
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, 100 * self.processed_rows // self.total_rows)


class CustomerImportFile(TenantModel):
    """The uploaded file of an import run, kept in the database (which every web and worker
    machine shares) until the run completes. Apart from the run, so that reading a run's
    progress never loads the file."""

    run = models.OneToOneField(
        CustomerImport, primary_key=True, on_delete=models.CASCADE, related_name="upload"
    )
    content = models.BinaryField()

    def __str__(self) -> str:
        return f"file of import {self.run_id}"
