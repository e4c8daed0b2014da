"""The form of a survey (`GET /surveys/{survey_id}/form`): what a client needs to draw the
survey's elements beside what `evaluate` says (which elements are visible, their texts and
choices, the errors): each element's type and the settings that shape its input. No logic
(conditions, expressions, quotas) is given away: the evaluator applies it on the server.
The address of the survey's hosted page (its public link, once it has one) is given for the
elements a client does not draw.

Read by the embeddable widget (ADR 0032) with a publishable key."""

from typing import Any

from django.conf import settings

from kizuna.core.clock import now
from kizuna.core.models import Workspace
from kizuna.feedback.models import LinkKind, Survey, SurveyLink
from kizuna.feedback.selectors.surveys import get_survey

# The settings of an element that shape its input (docs/surveys.md, element types); texts
# (labels, placeholders, choices) come translated from `evaluate`.
SHAPE_SETTINGS = ("points", "display", "other", "multiline", "min", "max", "randomize")
VALIDATION_SETTINGS = ("format", "min_length", "max_length", "min", "max")


def _shape(element: dict[str, Any], page_id: str) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "type": element.get("type"),
        "page": page_id,
        "required": bool(element.get("required", False)),
    }
    for name in SHAPE_SETTINGS:
        if name in element:
            shape[name] = element[name]
    validation = element.get("validation")
    if isinstance(validation, dict):
        shape["validation"] = {
            name: validation[name] for name in VALIDATION_SETTINGS if name in validation
        }
    button = element.get("button")
    if isinstance(button, dict) and button.get("url"):
        shape["button_url"] = button["url"]
    return shape


def _elements(elements: list[Any], page_id: str, into: dict[str, Any]) -> None:
    for element in elements:
        if not isinstance(element, dict) or "id" not in element:
            continue
        into[str(element["id"])] = _shape(element, page_id)
        # A static panel's elements are addressed by their own ids.
        nested = element.get("elements")
        if isinstance(nested, list):
            _elements(nested, page_id, into)


def form_of(survey: Survey) -> dict[str, Any]:
    elements: dict[str, Any] = {}
    for page in survey.definition.get("pages", []):
        _elements(page.get("elements", []), str(page.get("id", "")), elements)
    return {
        "survey_id": survey.key,
        "version": survey.version,
        "status": survey.effective_status(now()),
        "languages": list(survey.languages),
        "default_language": survey.default_language,
        "elements": elements,
    }


def branding(workspace: Workspace) -> dict[str, str]:
    """The workspace's brand (kept on the workspace: docs/hosted-pages.md), where set."""
    brand = {"primary": workspace.brand_color, "logo_url": workspace.brand_logo_url}
    return {name: value for name, value in brand.items() if value}


def hosted_url(workspace: Workspace, survey: Survey) -> str | None:
    """The address of the survey's public link, if it has one (reading creates none)."""
    token = (
        SurveyLink.objects.for_workspace(workspace)
        .filter(survey=survey, kind=LinkKind.PUBLIC)
        .values_list("token", flat=True)
        .first()
    )
    return f"{settings.KIZUNA_PUBLIC_URL}/s/{token}" if token else None


def survey_form(workspace: Workspace, survey_key: str) -> dict[str, Any]:
    """The survey's form; 404 `survey_not_found` for a survey the workspace does not have."""
    survey = get_survey(workspace, survey_key)
    return form_of(survey) | {
        "branding": branding(workspace),
        "hosted_url": hosted_url(workspace, survey),
    }
