from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class SurveyNotFound(NotFound):
    code = "survey_not_found"


class SurveyVersionNotFound(NotFound):
    code = "survey_version_not_found"


class SurveyExists(Conflict):
    code = "survey_exists"


class SurveyClosed(Conflict):
    """A closed survey is final: it is neither changed nor answered."""

    code = "survey_closed"


class InvalidStatusTransition(ValidationFailed):
    code = "invalid_status_transition"


class InvalidDefinition(ValidationFailed):
    """A definition that breaks a rule; `code` names the rule (invalid_definition,
    duplicate_id, unknown_reference, ...), `field` the JSON path of the fault."""

    code = "invalid_definition"


class UnknownElement(NotFound):
    code = "element_not_found"
