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


# ---------------------------------------------------------------- displays and responses


class SurveyNotActive(Conflict):
    """A draft, scheduled or paused survey is not shown and not answered (yet, or for now)."""

    code = "survey_not_active"


class DisplayNotFound(NotFound):
    code = "display_not_found"


class ResponseFinished(Conflict):
    """A finished (completed or screened-out) response is final."""

    code = "response_finished"


class AlreadyResponded(Conflict):
    """The browser (its `browser_token`) has finished this survey already."""

    code = "already_responded"


class QuotaFull(Conflict):
    """The answers match a quota whose `action` is `end` and which is full."""

    code = "quota_full"


class InvalidAnswer(ValidationFailed):
    """An answer that breaks its element's rules; `code` names the rule (unknown_element,
    invalid_answer, invalid_choice, out_of_range, too_long, too_short, invalid_format,
    required, ...), `field` is `answers.<element_id>`."""

    code = "invalid_answer"


# ---------------------------------------------------------------- closing the loop (follow-ups)


class FollowUpRuleNotFound(NotFound):
    code = "follow_up_rule_not_found"


class FollowUpRuleExists(Conflict):
    code = "follow_up_rule_exists"


class FollowUpNotFound(NotFound):
    code = "follow_up_not_found"


class InvalidAction(ValidationFailed):
    """A follow-up rule's action that breaks a rule; `field` is `actions[<i>].<name>`."""

    code = "invalid_action"


# ---------------------------------------------------------------- distribution (links)


class LinkNotFound(NotFound):
    code = "link_not_found"


class LinkUsed(Conflict):
    """A personal link answers once: its response is final."""

    code = "link_used"


class LinkExpired(Conflict):
    """A link past its `expires_at` (410 Gone: it will never work again)."""

    status = 410
    code = "link_expired"


class CustomerMismatch(ValidationFailed):
    """A personal link's response belongs to the link's customer."""

    code = "customer_mismatch"


class UnsubscribeNotFound(NotFound):
    code = "unsubscribe_not_found"
