"""HTTP handler of the themes of a survey's open answers."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from kizuna.core.errors import ValidationFailed
from kizuna.core.http import workspace_of
from kizuna.core.schemas import ObjectPathId, with_errors
from kizuna.feedback.schemas.themes import ThemesOut, ThemesParams
from kizuna.feedback.selectors import themes

# Mounted by kizuna.api with server-key auth: /v1/surveys/{survey_id}/themes.
themes_router = Router(tags=["surveys"])


@themes_router.get(
    "/{survey_id}/themes",
    response=with_errors({200: ThemesOut}),
    summary="Themes of the open answers, and what drives detractors",
)
def survey_themes(
    request: HttpRequest, survey_id: ObjectPathId, params: Query[ThemesParams]
) -> Any:
    if params.from_ is not None and params.to is not None and params.to <= params.from_:
        raise ValidationFailed("`to` comes after `from`.", code="invalid_range", field="to")
    return themes.survey_themes(
        workspace_of(request),
        survey_id,
        element_id=params.element_id,
        start=params.from_,
        end=params.to,
        limit=params.top,
    )
