"""Request and response shapes of the customers API (API.md). Response schemas present the
models directly (resolvers for what is not a plain column)."""

from datetime import date, datetime
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from django.apps import apps
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from kizuna.core.schemas import (
    ExternalId,
    InputSchema,
    IsoDate,
    IsoDateTime,
    SmallJson,
)
from kizuna.customers import participants
from kizuna.customers.models import (
    ATTRIBUTE_KEY_MAX_LENGTH,
    EVENT_NAME_MAX_LENGTH,
    PROFILE_MAX_LENGTHS,
    PROFILE_STRING_FIELDS,
    ConsentChannel,
    Customer,
    CustomerImport,
)
from kizuna.customers.services.attributes import (
    ATTRIBUTE_KEY,
    MAX_ATTRIBUTE_NUMBER,
    MAX_ATTRIBUTE_STRING,
    MAX_ATTRIBUTES,
)
from kizuna.customers.services.custom_events import EVENT_NAME


def _scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, str | bool | int | float):
        raise PydanticCustomError(
            "invalid_attribute_value",
            "Attribute values are strings, numbers, booleans or dates (YYYY-MM-DD).",
        )
    return value


def _few_attributes(value: Any) -> Any:
    """Counted before the keys and values are validated one by one."""
    if isinstance(value, dict) and len(value) > MAX_ATTRIBUTES:
        raise PydanticCustomError(
            "too_many_attributes",
            "A customer has at most {limit} attributes",
            {"limit": MAX_ATTRIBUTES},
        )
    return value


# The services check attribute names and values (for every caller); the document states the
# same rules, so that generated clients refuse what the server refuses.
AttributeValue = Annotated[
    str | bool | int | float | None,
    BeforeValidator(_scalar),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": MAX_ATTRIBUTE_STRING},
                {
                    "type": "number",
                    "exclusiveMinimum": -MAX_ATTRIBUTE_NUMBER,
                    "exclusiveMaximum": MAX_ATTRIBUTE_NUMBER,
                },
                {"type": "boolean"},
                {"type": "null"},
            ]
        }
    ),
]
Attributes = Annotated[
    dict[Annotated[str, Field(max_length=ATTRIBUTE_KEY_MAX_LENGTH)], AttributeValue],
    Field(
        max_length=MAX_ATTRIBUTES,
        json_schema_extra={"propertyNames": {"pattern": f"^{ATTRIBUTE_KEY.pattern}$"}},
    ),
    BeforeValidator(_few_attributes),
]
Email = Annotated[str, Field(max_length=PROFILE_MAX_LENGTHS["email"])]


Phone = Annotated[str, Field(max_length=PROFILE_MAX_LENGTHS["phone"])]
FirstName = Annotated[str, Field(max_length=PROFILE_MAX_LENGTHS["first_name"])]
LastName = Annotated[str, Field(max_length=PROFILE_MAX_LENGTHS["last_name"])]
Locale = Annotated[str, Field(max_length=PROFILE_MAX_LENGTHS["locale"])]
TimeZone = Annotated[str, Field(max_length=PROFILE_MAX_LENGTHS["timezone"])]


# ---------------------------------------------------------------- customers


class ConsentIn(InputSchema):
    status: Literal["granted", "denied", "pending"]
    updated_at: IsoDateTime | None = None


Consents = Annotated[
    dict[str, ConsentIn],
    Field(json_schema_extra={"propertyNames": {"enum": list(ConsentChannel.values)}}),
]


class CustomerFields(InputSchema):
    email: Email | None = None
    phone: Phone | None = None
    first_name: FirstName | None = None
    last_name: LastName | None = None
    birthdate: IsoDate | None = None
    locale: Locale | None = None
    timezone: TimeZone | None = None
    attributes: Attributes | None = Field(
        default=None,
        description=f"At most {MAX_ATTRIBUTES} keys; null deletes a key.",
    )
    consents: Consents | None = None


class CustomerCreateIn(CustomerFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_id": "cust-aiko",
                    "email": "aiko@example.com",
                    "first_name": "Aiko",
                    "attributes": {"city": "Osaka", "member_since": "2024-05-01"},
                    "consents": {"email_marketing": {"status": "granted"}},
                }
            ]
        }
    )

    external_id: ExternalId


class CustomerUpsertIn(CustomerFields):
    pass


class CustomerPatchIn(CustomerFields):
    pass


class ConsentOut(Schema):
    status: Literal["granted", "denied", "pending"]
    updated_at: datetime


def _blank_is_null(name: str) -> Any:
    """A resolver presenting an empty text column as null."""

    def resolve(obj: Any) -> str | None:
        return getattr(obj, name) or None

    return staticmethod(resolve)


class ProfileFieldsOut(Schema):
    """The profile fields every customer representation shares."""

    external_id: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    birthdate: date | None
    locale: str | None
    timezone: str | None

    resolve_email = _blank_is_null("email")
    resolve_phone = _blank_is_null("phone")
    resolve_first_name = _blank_is_null("first_name")
    resolve_last_name = _blank_is_null("last_name")
    resolve_locale = _blank_is_null("locale")
    resolve_timezone = _blank_is_null("timezone")


def consents_of(customer: Customer) -> dict[str, Any]:
    return {c.channel: c for c in customer.consents.all()}


class CustomerOut(ProfileFieldsOut):
    attributes: dict[str, str | bool | int | float]
    consents: dict[str, ConsentOut]
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = Field(
        description="When the customer's personal data was erased (POST "
        "/customers/{customer_id}/erase); null otherwise. An erased customer keeps a "
        "generated external_id (erased-...) and only the orders and refunds it had."
    )

    @staticmethod
    def resolve_consents(customer: Customer) -> dict[str, Any]:
        return consents_of(customer)


assert set(PROFILE_STRING_FIELDS) <= set(ProfileFieldsOut.model_fields)


class TimelineEntryOut(Schema):
    id: str
    kind: str
    object_id: str
    occurred_at: datetime
    summary: dict[str, Any]

    @staticmethod
    def resolve_id(entry: Any) -> str:
        return str(entry.pk)


class AttributeDefinitionOut(Schema):
    key: str
    type: Literal["string", "number", "boolean", "date"] = Field(
        description="Fixed by the attribute's first write; later values must be of this type "
        "(a string attribute also takes strings that look like dates)."
    )
    created_at: datetime = Field(description="When the attribute was first written.")


# ---------------------------------------------------------------- custom events


class EventIn(InputSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "evt-1",
                    "name": "review_posted",
                    "customer_id": "cust-aiko",
                    "properties": {"stars": 5},
                    "occurred_at": "2026-03-02T12:00:00Z",
                }
            ]
        }
    )

    id: ExternalId
    name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=EVENT_NAME_MAX_LENGTH,
            json_schema_extra={"pattern": f"^{EVENT_NAME.pattern}$"},
        ),
    ]
    customer_id: ExternalId
    email: Email | None = Field(
        default=None, description="Used only when the event creates a new customer."
    )
    properties: SmallJson = {}
    occurred_at: IsoDateTime | None = None


class LoyaltyEffectOut(Schema):
    """What an order or event did in one loyalty program."""

    program_id: str
    points_earned: int
    points_pending: int
    balance: int
    tier: str | None = None
    points_clawed_back: int = Field(
        default=0, description="Taken back by refunds and cancellations."
    )
    points_spent: int = Field(default=0, description="Spent by the order's points payments.")
    points_returned: int = Field(
        default=0, description="Spent points given back by refunds and cancellations."
    )


class RefundLoyaltyEffectOut(Schema):
    """What a refund or a cancellation did in one loyalty program."""

    program_id: str
    points_clawed_back: int
    points_returned: int
    balance: int


class EventOut(Schema):
    id: str = Field(alias="client_id")
    name: str
    customer_id: str = Field(alias="customer.external_id")
    properties: dict[str, Any]
    occurred_at: datetime
    created_at: datetime
    loyalty: list[LoyaltyEffectOut]

    @staticmethod
    def resolve_loyalty(event: Any) -> list[Any]:
        return participants.effects(event, "loyalty")


# ---------------------------------------------------------------- import and export


class ImportErrorOut(Schema):
    row: int = Field(description="The row as a spreadsheet numbers it: the header is row 1.")
    external_id: str | None
    field: str | None = Field(description="The column at fault, e.g. email or attributes.vip.")
    code: str
    message: str


class ImportCountsOut(Schema):
    created: int = Field(alias="created_count")
    updated: int = Field(alias="updated_count")
    unchanged: int = Field(alias="unchanged_count")
    rejected: int = Field(alias="rejected_count")


class ImportFailureOut(Schema):
    code: str = Field(
        alias="failure_code",
        description="A problem with the file (e.g. invalid_encoding), or import_interrupted.",
    )
    message: str = Field(alias="failure_message")


class CustomerImportOut(Schema):
    id: str
    filename: str
    format: Literal["csv", "xlsx"] = Field(alias="file_format")
    source: Literal["api", "command"]
    status: Literal["queued", "running", "completed", "failed"] = Field(
        description="queued until a worker takes the run, running while its rows are "
        "imported, then completed, or failed (see failure)."
    )
    columns: list[str]
    total_rows: int = Field(description="Rows of customers in the file (blank rows skipped).")
    processed_rows: int = Field(
        description="Rows imported so far; counts and errors are as of the same point."
    )
    percent: int = Field(description="processed_rows as a percentage of total_rows (0 to 100).")
    counts: ImportCountsOut
    errors: list[ImportErrorOut] = Field(
        description="Why each rejected row was rejected (at most 1,000 entries are kept)."
    )
    errors_truncated: bool = Field(description="True when more errors occurred than are listed.")
    failure: ImportFailureOut | None = Field(description="Why a failed run stopped.")
    started_at: datetime = Field(
        description="When the file was uploaded, then when a worker started importing it."
    )
    finished_at: datetime | None

    @staticmethod
    def resolve_id(run: CustomerImport) -> str:
        return str(run.pk)

    @staticmethod
    def resolve_counts(run: CustomerImport) -> CustomerImport:
        return run

    @staticmethod
    def resolve_failure(run: CustomerImport) -> CustomerImport | None:
        return run if run.status == CustomerImport.Status.FAILED else None


# ---------------------------------------------------------------- privacy


class TypedAttributeOut(Schema):
    key: str
    type: Literal["string", "number", "boolean", "date"]
    value: str | bool | int | float


class ProfileOut(ProfileFieldsOut):
    attributes: list[TypedAttributeOut] = Field(description="By key, each with its type.")
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None


class ConsentChangeOut(Schema):
    channel: str
    status: Literal["granted", "denied", "pending"]
    previous_status: Literal["granted", "denied", "pending"] | None
    source: str = Field(description="Where the change came from: api or import.")
    occurred_at: datetime
    recorded_at: datetime

    resolve_previous_status = _blank_is_null("previous_status")


class CustomerDataExportBase(Schema):
    """Everything the workspace holds about one customer. Lists are complete, however long
    (never paginated nor truncated), and oldest first."""

    exported_at: datetime
    profile: ProfileOut
    consents: dict[str, ConsentOut] = Field(description="The current consent per channel.")
    consent_history: list[ConsentChangeOut] = Field(
        description="Every consent change, oldest first."
    )
    events: list[EventOut] = Field(description="Every custom event, oldest first.")
    timeline: list[TimelineEntryOut] = Field(description="Every timeline entry, oldest first.")

    @staticmethod
    def resolve_profile(data: Any) -> SimpleNamespace:
        """The customer's columns, with the attributes listed by key with their types."""
        customer = data.customer
        profile = SimpleNamespace(
            **{name: getattr(customer, name) for name in ProfileOut.model_fields}
        )
        profile.attributes = [
            {"key": key, "type": data.attribute_types[key], "value": customer.attributes[key]}
            for key in sorted(customer.attributes)
        ]
        return profile

    @staticmethod
    def resolve_consents(data: Any) -> dict[str, Any]:
        return consents_of(data.customer)


def customer_data_export_schema() -> type[Schema]:
    """The data export's shape: the customers app's own lists, and the section each app
    registered (`selectors.register_data_export_section`). Built once the apps are ready,
    so that every section is in it."""
    from kizuna.customers.selectors import DATA_EXPORT_SECTIONS

    if not apps.ready:
        raise RuntimeError("The data export schema is built once every app is ready.")
    fields: dict[str, Any] = {
        name: (list[section.schema], Field(description=section.description))  # type: ignore[name-defined]
        for name, section in DATA_EXPORT_SECTIONS.items()
    }
    resolvers: dict[str, Any] = {
        f"resolve_{name}": staticmethod(lambda data, name=name: data.sections[name])
        for name in DATA_EXPORT_SECTIONS
    }
    model: type[Schema] = create_model(
        "CustomerDataExportOut",
        __base__=CustomerDataExportBase,
        __doc__=CustomerDataExportBase.__doc__,
        __validators__=resolvers,
        **fields,
    )
    return model


class ErasureOut(Schema):
    status: Literal["erased"]
    erasure_id: str = Field(
        description="The erasure's id, also in the payload of the customer.erased event."
    )
    erased_at: datetime

    @staticmethod
    def resolve_status(erasure: Any) -> str:
        return "erased"

    @staticmethod
    def resolve_erasure_id(erasure: Any) -> str:
        return str(erasure.pk)
