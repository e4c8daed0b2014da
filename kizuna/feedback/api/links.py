"""HTTP handlers of survey links: parse, call one service, present. Mounted by kizuna.api at
/v1/surveys with server-key auth."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from kizuna.core.http import workspace_of
from kizuna.core.schemas import ObjectPathId, with_errors
from kizuna.feedback.schemas import links as schemas
from kizuna.feedback.services import links

links_router = Router(tags=["survey distribution"])


@links_router.post(
    "/{survey_id}/links",
    response=with_errors({201: schemas.LinksOut}),
    summary="Create personal single-use links, one per customer",
)
def create_links(request: HttpRequest, survey_id: ObjectPathId, payload: schemas.LinksIn) -> Any:
    created = links.create_personal_links(
        workspace_of(request), survey_id, payload.customer_ids, payload.expires_at
    )
    return Status(201, {"data": created})


@links_router.get(
    "/{survey_id}/links/public",
    response=with_errors({200: schemas.LinkOut}),
    summary="The survey's public link (created when first asked)",
)
def get_public_link(request: HttpRequest, survey_id: ObjectPathId) -> Any:
    return links.public_link_of(workspace_of(request), survey_id)
