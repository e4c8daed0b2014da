"""Surveys: created, changed (a published survey's changed definition is a new version),
published, paused and closed. Every change is audited in its transaction; status changes also
emit an event. `check_*` validate and raise; the others write.

Status transitions (the effective status, as the schedule makes it now):

    draft  --publish-->  active, or scheduled until schedule.starts_at
    scheduled, active  --pause-->  paused  --publish-->  active or scheduled
    scheduled, active, paused  --close-->  closed   (final; so is a passed schedule.ends_at)

Anything else is 422 invalid_status_transition; a change to a closed survey is 409
survey_closed."""

import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kizuna.core import audit, events
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.jsonvalues import check_json_value
from kizuna.core.models import Workspace
from kizuna.core.upsert import insert_new
from kizuna.feedback import events as survey_events
from kizuna.feedback.definitions import check_definition, element_types
from kizuna.feedback.errors import (
    InvalidDefinition,
    InvalidStatusTransition,
    SurveyClosed,
    SurveyExists,
)
from kizuna.feedback.locks import lock_survey
from kizuna.feedback.models import Survey, SurveyStatus, SurveyVersion
from kizuna.feedback.results import rollup
from kizuna.feedback.services.settings import check_default_language, check_settings

MAX_DEFINITION_BYTES = 512 * 1024
SETTINGS = (
    "name",
    "languages",
    "default_language",
    "timezone",
    "targeting",
    "recontact",
    "starts_at",
    "ends_at",
)


def check_survey_definition(workspace: Workspace, definition: Any, languages: list[str]) -> None:
    check_json_value(definition, "definition")
    size = len(json.dumps(definition, ensure_ascii=False).encode())
    if size > MAX_DEFINITION_BYTES:
        raise ValidationFailed(
            f"A definition is at most {MAX_DEFINITION_BYTES // 1024} KB of JSON.",
            code="too_large",
            field="definition",
        )
    check_definition(definition, languages, workspace)


def snapshot(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.key,
        **{name: getattr(survey, name) for name in SETTINGS},
        "status": survey.status,
        "version": survey.version,
        "definition": survey.definition,
    }


def create_survey(
    workspace: Workspace,
    data: Mapping[str, Any],
    actor: Actor,
    *,
    source_format: str = "",
    source: Any = None,
) -> Survey:
    """`source_format` and `source`: an imported survey's own JSON, kept beside the native
    definition (kizuna.feedback.services.imports)."""
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("survey")
    clean = check_settings(workspace, data, partial=False)
    check_default_language(clean["languages"], clean["default_language"])
    if "definition" not in data or data["definition"] is None:
        raise ValidationFailed("definition is required.", code="required", field="definition")
    definition = data["definition"]
    check_survey_definition(workspace, definition, clean["languages"])
    moment = now()
    with transaction.atomic(savepoint=False):
        survey = insert_new(
            SurveyExists(f"A survey {key!r} exists already.", field="id"),
            Survey(
                workspace=workspace,
                key=key,
                definition=definition,
                source_format=source_format,
                source=source,
                created_at=moment,
                updated_at=moment,
                **clean,
            ),
            workspace=workspace,
            key=key,
        )
        SurveyVersion.objects.create(
            workspace=workspace,
            survey=survey,
            number=1,
            definition=definition,
            source_format=source_format,
            source=source,
            created_at=moment,
        )
        audit.record(workspace, actor, "survey.created", "survey", key, after=snapshot(survey))
    return survey


def _check_stable_ids(survey: Survey, definition: Any) -> None:
    """An element keeps its type in every version: answers stay tied to the element id."""
    new_types = element_types(definition)
    versions = SurveyVersion.objects.filter(survey=survey).values_list("number", "definition")
    for number, old in versions.order_by("number"):
        for element_id, old_type in element_types(old).items():
            if new_types.get(element_id, old_type) != old_type:
                path = _element_path(definition, element_id)
                raise InvalidDefinition(
                    f"{path}: element {element_id!r} is a {old_type} in version {number}; an "
                    "element keeps its type, so that its answers keep their meaning. Give the "
                    "new element a new id.",
                    code="element_type_changed",
                    field=path,
                )


def _element_path(definition: Any, element_id: str) -> str:
    for p, page in enumerate(definition["pages"]):
        for e, element in enumerate(page["elements"]):
            if element["id"] == element_id:
                return f"definition.pages[{p}].elements[{e}].type"
    return "definition"  # pragma: no cover (the id came from this definition)


def update_survey(workspace: Workspace, key: str, data: Mapping[str, Any], actor: Actor) -> Survey:
    """Change settings in place, and the definition: in place while the survey has never
    been published, as a new version afterwards (the versions before it stay as they were)."""
    clean = check_settings(workspace, data, partial=True)
    moment = now()
    with transaction.atomic(savepoint=False):
        survey = lock_survey(workspace, key)
        if survey.effective_status(moment) == SurveyStatus.CLOSED:
            raise SurveyClosed(f"Survey {key!r} is closed; it changes no more.", field="survey_id")
        languages = clean.get("languages", survey.languages)
        check_default_language(languages, clean.get("default_language", survey.default_language))
        definition = data.get("definition", survey.definition)
        if "definition" in data or "languages" in clean:
            check_survey_definition(workspace, definition, languages)
        before = snapshot(survey)
        for name, value in clean.items():
            setattr(survey, name, value)
        if definition != survey.definition:
            if survey.published_at is None:
                SurveyVersion.objects.filter(survey=survey, number=survey.version).update(
                    definition=definition
                )
            else:
                _check_stable_ids(survey, definition)
                survey.version += 1
                SurveyVersion.objects.create(
                    workspace=workspace,
                    survey=survey,
                    number=survey.version,
                    definition=definition,
                    source_format=survey.source_format,
                    source=survey.source,
                    created_at=moment,
                )
            survey.definition = definition
        after = snapshot(survey)
        if after != before:
            survey.updated_at = moment
            survey.save()
            audit.record(
                workspace, actor, "survey.updated", "survey", key, before=before, after=after
            )
            if after["timezone"] != before["timezone"]:
                # The days of the results' daily counts are the survey's days: they move.
                rollup.rebuild(survey)
    return survey


def _transition(
    workspace: Workspace, key: str, actor: Actor, target: str, allowed: tuple[str, ...]
) -> Survey:
    moment = now()
    with transaction.atomic(savepoint=False):
        survey = lock_survey(workspace, key)
        current = survey.effective_status(moment)
        if current not in allowed:
            raise InvalidStatusTransition(
                f"A {current} survey cannot be {target}; only a survey that is "
                f"{' or '.join(allowed)} can.",
                field="status",
                details=[{"from": current, "to": target, "allowed_from": list(allowed)}],
            )
        before = snapshot(survey)
        if target == "published":
            if survey.ends_at is not None and survey.ends_at <= moment:
                raise ValidationFailed(
                    "The schedule has ended; move schedule.ends_at to publish.",
                    code="invalid_schedule",
                    field="schedule.ends_at",
                )
            starts_later = survey.starts_at is not None and survey.starts_at > moment
            survey.status = SurveyStatus.SCHEDULED if starts_later else SurveyStatus.ACTIVE
            survey.published_at = survey.published_at or moment
        else:
            survey.status = SurveyStatus.PAUSED if target == "paused" else SurveyStatus.CLOSED
        survey.updated_at = moment
        survey.save()
        action = {"published": "survey.published", "paused": "survey.paused"}.get(
            target, "survey.closed"
        )
        audit.record(workspace, actor, action, "survey", key, before=before, after=snapshot(survey))
        payload: events.EventPayload
        if target == "published":
            payload = survey_events.SurveyPublished(
                survey_id=key, version=survey.version, status=survey.status
            )
        elif target == "paused":
            payload = survey_events.SurveyPaused(survey_id=key, version=survey.version)
        else:
            payload = survey_events.SurveyClosed(survey_id=key, version=survey.version)
        events.emit(workspace, payload)
    return survey


def publish_survey(workspace: Workspace, key: str, actor: Actor) -> Survey:
    return _transition(
        workspace, key, actor, "published", (SurveyStatus.DRAFT, SurveyStatus.PAUSED)
    )


def pause_survey(workspace: Workspace, key: str, actor: Actor) -> Survey:
    return _transition(
        workspace, key, actor, "paused", (SurveyStatus.SCHEDULED, SurveyStatus.ACTIVE)
    )


def close_survey(workspace: Workspace, key: str, actor: Actor) -> Survey:
    allowed = (SurveyStatus.SCHEDULED, SurveyStatus.ACTIVE, SurveyStatus.PAUSED)
    return _transition(workspace, key, actor, "closed", allowed)
