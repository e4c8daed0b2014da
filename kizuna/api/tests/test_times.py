"""Times sent by clients (orders', events' and refunds' occurred_at, consents' updated_at):
ISO 8601 strings with an offset, from 1900 on, through one input type. Anything else is a
422 naming the field, and nothing is written."""

from datetime import UTC, datetime
from typing import Any

import pytest

from kizuna.accounts.services import NewWorkspace
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import OutboxEvent
from kizuna.core.times import check_occurred_at
from kizuna.customers.models import ConsentChange, Customer, CustomEvent, TimelineEntry
from kizuna.customers.schemas import ConsentIn, EventIn
from kizuna.customers.services.consents import check_consents
from kizuna.orders.models import Order, Refund
from kizuna.orders.schemas import OrderIn, RefundIn

pytestmark = pytest.mark.django_db

BAD_TIMES = [
    pytest.param("0001-01-01T00:00:00+00:00", "invalid_datetime", id="year-1-utc"),
    pytest.param("0001-01-01T00:00:00+09:00", "invalid_datetime", id="year-1-ahead-of-utc"),
    pytest.param("0001-01-01T00:00:00-05:00", "invalid_datetime", id="year-1-behind-utc"),
    pytest.param("1899-12-31T23:59:59Z", "invalid_datetime", id="before-1900"),
    pytest.param(1767225600, "invalid_datetime", id="unix-seconds"),
    pytest.param(1767225600.5, "invalid_datetime", id="unix-float"),
    pytest.param(-62135596800, "invalid_datetime", id="unix-year-1"),
    pytest.param("1767225600", "invalid_datetime", id="unix-seconds-as-text"),
    pytest.param(True, "invalid_datetime", id="boolean"),
    pytest.param("2026-03-01", "datetime_without_offset", id="date-only"),
    pytest.param("2026-03-01\n", "invalid_datetime", id="date-and-newline"),
    pytest.param("2026-03-01T", "invalid_datetime", id="date-and-t"),
    pytest.param("2026-13-01T10:00:00Z", "invalid_datetime", id="no-such-month"),
    pytest.param("next tuesday", "invalid_datetime", id="words"),
    pytest.param({"at": "2026-03-01T10:00:00Z"}, "invalid_datetime", id="object"),
    pytest.param("2026-03-01T10:00:00", "datetime_without_offset", id="naive"),
    pytest.param("2026-03-01 10:00:00", "datetime_without_offset", id="naive-with-space"),
    pytest.param("9999-12-31T23:59:59-01:00", "occurred_in_future", id="past-year-9999-in-utc"),
]


def _order(api: Any, order_body: Any, time: Any) -> Any:
    return api.post("/orders", order_body(occurred_at=time))


def _event(api: Any, order_body: Any, time: Any) -> Any:
    body = {"id": "evt-1", "name": "visit", "customer_id": "cust-1", "occurred_at": time}
    return api.post("/events", body)


def _refund(api: Any, order_body: Any, time: Any) -> Any:
    assert api.post("/orders", order_body()).status_code == 201
    body = {"external_id": "r-1", "amount": "1.00", "occurred_at": time}
    return api.post("/orders/ord-1/refunds", body)


def _consent_on_create(api: Any, order_body: Any, time: Any) -> Any:
    consents = {"email_marketing": {"status": "granted", "updated_at": time}}
    return api.put("/customers/cust-1", {"consents": consents})


def _consent_on_update(api: Any, order_body: Any, time: Any) -> Any:
    assert api.put("/customers/cust-1", {"first_name": "Aiko"}).status_code == 201
    consents = {"sms_marketing": {"status": "denied", "updated_at": time}}
    return api.patch("/customers/cust-1", {"consents": consents})


INPUTS = [
    pytest.param(_order, "occurred_at", id="order"),
    pytest.param(_event, "occurred_at", id="event"),
    pytest.param(_refund, "occurred_at", id="refund"),
    pytest.param(_consent_on_create, "consents.email_marketing.updated_at", id="consent-put"),
    pytest.param(_consent_on_update, "consents.sms_marketing.updated_at", id="consent-patch"),
]


@pytest.mark.parametrize(("time", "code"), BAD_TIMES)
@pytest.mark.parametrize(("send", "field"), INPUTS)
def test_times_that_are_not_iso_8601_with_an_offset_from_1900_are_422(
    api: Any, workspace: NewWorkspace, order_body: Any, send: Any, field: str, time: Any, code: str
) -> None:
    response = send(api, order_body, time)

    assert response.status_code == 422, response.data
    assert response.data["code"] == code
    assert response.data["field"] == field
    # Nothing was written by the refused request (the refund case keeps its order).
    assert Refund.objects.count() == 0
    assert CustomEvent.objects.count() == 0
    assert ConsentChange.objects.count() == 0
    if send is _refund:
        assert Order.objects.get().refunded_total == 0
        assert OutboxEvent.objects.filter(type="order.refunded").count() == 0
    elif send is _consent_on_update:
        assert Customer.objects.get().first_name == "Aiko"
        assert TimelineEntry.objects.count() == 0
    else:
        assert Order.objects.count() == 0
        assert Customer.objects.count() == 0
        assert TimelineEntry.objects.count() == 0
        assert OutboxEvent.objects.for_workspace(workspace.workspace).count() == 0


@pytest.mark.parametrize(
    ("time", "stored"),
    [
        ("2026-03-01T10:00:00+09:00", "2026-03-01T01:00:00Z"),
        ("2026-03-01T01:00:00Z", "2026-03-01T01:00:00Z"),
        ("2026-03-01T01:00:00z", "2026-03-01T01:00:00Z"),
        ("2026-03-01 01:00:00+00:00", "2026-03-01T01:00:00Z"),
        ("2026-03-01T10:00+09:00", "2026-03-01T01:00:00Z"),
        ("2026-03-01T01:00:00.250-00:00", "2026-03-01T01:00:00.250Z"),
        ("1900-01-01T00:00:00+09:00", "1899-12-31T15:00:00Z"),
    ],
)
@pytest.mark.parametrize(("send", "field"), INPUTS)
def test_iso_8601_times_with_an_offset_are_stored_in_utc(
    api: Any, order_body: Any, send: Any, field: str, time: str, stored: str
) -> None:
    response = send(api, order_body, time)

    assert response.status_code in (200, 201), response.data
    if field == "occurred_at":
        assert response.data["occurred_at"] == stored
    else:
        channel = field.split(".")[1]
        assert response.data["consents"][channel]["updated_at"] == stored


@pytest.mark.parametrize(
    ("schema", "name"),
    [
        (OrderIn, "occurred_at"),
        (EventIn, "occurred_at"),
        (RefundIn, "occurred_at"),
        (ConsentIn, "updated_at"),
    ],
)
def test_every_time_input_is_documented_as_a_date_time_string(schema: Any, name: str) -> None:
    documented = schema.model_json_schema()["properties"][name]["anyOf"][0]

    assert documented["type"] == "string"
    assert documented["format"] == "date-time"


@pytest.mark.parametrize("field", ["occurred_at", "consents.surveys.updated_at"])
def test_services_refuse_times_before_1900_and_local_times(
    workspace: NewWorkspace, field: str
) -> None:
    for value, code in [
        (datetime(1, 1, 1, tzinfo=UTC), "invalid_datetime"),
        (datetime(2026, 3, 1, 10), "datetime_without_offset"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            if field == "occurred_at":
                check_occurred_at(value)
            else:
                check_consents({"surveys": {"status": "granted", "updated_at": value}})
        assert (refused.value.code, refused.value.field) == (code, field)
