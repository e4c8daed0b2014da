"""HTTP handler of `GET /surveys/{survey_id}/form`: the shapes of a survey's elements, for a
client that draws the survey itself (the embeddable widget). Mounted by kizuna.api with
`auth=any_key`."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kizuna.core.http import workspace_of
from kizuna.core.schemas import ObjectPathId, with_errors
from kizuna.feedback.schemas.forms import FormOut
from kizuna.feedback.selectors.forms import survey_form

forms_router = Router(tags=["surveys"])


@forms_router.get(
    "/{survey_id}/form",
    response=with_errors({200: FormOut}),
    summary="The survey's elements with their types and input settings, to draw them "
    "(no logic: ask evaluate what is visible). Any key.",
)
def get_form(request: HttpRequest, survey_id: ObjectPathId) -> Any:
    return survey_form(workspace_of(request), survey_id)
