"""Surveys imported from another tool's JSON: SurveyJS today (docs/surveyjs.md, ADR 0028).

The definition is mapped to a native one (kizuna.feedback.surveyjs.importer) and the survey
created as a draft through the ordinary create path (so it is audited and versioned like any
other), keeping the tool's JSON as its source: version 1 holds both."""

from collections.abc import Mapping
from typing import Any

from kizuna.core.audit import Actor
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.feedback.models import Survey
from kizuna.feedback.services.surveys import create_survey
from kizuna.feedback.surveyjs.importer import import_surveyjs

FORMATS = ("surveyjs",)


def import_survey(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> Survey:
    """Create a draft survey from `{format, definition, id?, name?, timezone?}`; the survey
    carries `import_report` ([{path, problem, code}]) for the caller."""
    if data.get("format") not in FORMATS:
        raise ValidationFailed(
            f"format is one of {', '.join(FORMATS)}.", code="unsupported_format", field="format"
        )
    imported = import_surveyjs(data.get("definition"), workspace, data.get("name"))
    body = {
        "id": data.get("id"),
        "name": imported.name,
        "languages": imported.languages,
        "default_language": imported.default_language,
        "timezone": data.get("timezone") or "UTC",
        "definition": imported.definition,
    }
    survey = create_survey(workspace, body, actor, source_format="surveyjs", source=imported.source)
    survey.import_report = imported.report.entries  # type: ignore[attr-defined]
    return survey
