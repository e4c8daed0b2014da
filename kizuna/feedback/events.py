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


@event_type("survey.response_completed")
class SurveyResponseCompleted(EventPayload):
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
