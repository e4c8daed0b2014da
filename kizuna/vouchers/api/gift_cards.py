"""/gift-cards: gift cards and store credit, their top-ups, their ledger, the liability."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import Page, PageParams, page, with_errors
from kizuna.vouchers import schemas, selectors
from kizuna.vouchers.services import gift_cards
from kizuna.vouchers.services.liability import liability

gift_cards_router = Router(tags=["gift cards"])


def _moment(value: str | None, field: str) -> datetime | None:
    """A date (its end, in UTC: the liability at the close of that day) or a date and time
    with an offset."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed(
            f"{field} is a date (YYYY-MM-DD) or a date and time with an offset.",
            code="invalid_datetime",
            field=field,
        ) from exc
    if moment.tzinfo is None:
        raise ValidationFailed(
            f"{field} needs an offset (Z or +09:00).", code="invalid_datetime", field=field
        )
    return moment


@gift_cards_router.post(
    "",
    response=with_errors({201: schemas.GiftCardOut}),
    summary="Issue a gift card or store credit",
)
def issue_gift_card(request: HttpRequest, payload: schemas.GiftCardIn) -> Any:
    card = gift_cards.issue(
        workspace_of(request), payload.model_dump(exclude_unset=True), actor_of(request)
    )
    return Status(201, card)


@gift_cards_router.get(
    "/liability",
    response=with_errors({200: schemas.LiabilityOut}),
    summary="What the gift cards and store credit held at a moment, per currency and kind, "
    "from the ledger",
)
def get_liability(
    request: HttpRequest,
    at: Query[str | None] = None,
    since: Query[str | None] = None,
) -> Any:
    moment = _moment(at, "at") or now()
    start = _moment(since, "since")
    if start is not None and start >= moment:
        raise ValidationFailed("since comes before at.", code="invalid_period", field="since")
    return {"at": moment, "since": start, "data": liability(workspace_of(request), moment, start)}


@gift_cards_router.get(
    "/{code}", response=with_errors({200: schemas.GiftCardOut}), summary="Get a gift card"
)
def get_gift_card(request: HttpRequest, code: str) -> Any:
    return gift_cards.get_card(workspace_of(request), code)


@gift_cards_router.post(
    "/{code}/top-ups",
    response=with_errors({201: schemas.TopUpOut}),
    summary="Add value to a gift card or store credit",
)
def top_up(request: HttpRequest, code: str, payload: schemas.TopUpIn) -> Any:
    card, entry = gift_cards.top_up(
        workspace_of(request), code, payload.model_dump(exclude_unset=True), actor_of(request)
    )
    return Status(201, {"card": card, "transaction": entry})


@gift_cards_router.post(
    "/{code}/adjustments",
    response=with_errors({201: schemas.TopUpOut}),
    summary="Correct a balance by a signed amount, with the reason (audited)",
)
def adjust(request: HttpRequest, code: str, payload: schemas.AdjustmentIn) -> Any:
    card, entry = gift_cards.adjust(
        workspace_of(request), code, payload.model_dump(exclude_unset=True), actor_of(request)
    )
    return Status(201, {"card": card, "transaction": entry})


@gift_cards_router.get(
    "/{code}/transactions",
    response=with_errors({200: Page[schemas.EntryOut]}),
    summary="The ledger of a gift card, newest first",
)
def list_transactions(request: HttpRequest, code: str, page_params: Query[PageParams]) -> Any:
    workspace = workspace_of(request)
    card = gift_cards.get_card(workspace, code)
    return page(
        *selectors.list_entries(workspace, card, cursor=page_params.cursor, limit=page_params.limit)
    )
