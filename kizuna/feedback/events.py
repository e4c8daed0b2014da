"""The feedback app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("survey.published")
class SurveyPublished(EventPayload):
    """A survey was published or resumed: `status` is active, or scheduled until it starts."""

    survey_id: str
    version: int
    status: str


@event_type("survey.paused")
class SurveyPaused(EventPayload):
    survey_id: str
    version: int


@event_type("survey.closed")
class SurveyClosed(EventPayload):
    survey_id: str
    version: int


@event_type("response.completed")
class ResponseCompleted(EventPayload):
    """A response became final: `status` completed, or screened_out (by a screen-out or a
    full quota, then `quota` names it). `customer_id` is the customer's external id."""

    survey_id: str
    response_id: str
    submission_id: str
    version: int
    status: str
    ending: str | None
    quota: str | None
    customer_id: str | None
    completed_at: str


# ---------------------------------------------------------------- closing the loop (follow-ups)


@event_type("nps.detractor")
class NpsDetractor(EventPayload):
    """A completed response answered an NPS element 0 to 6 (one event per such element).
    `customer_id` is the customer's external id (null when anonymous)."""

    survey_id: str
    response_id: str
    element_id: str
    customer_id: str | None
    score: int
