"""Errors of the referrals app: each a status and a stable code (docs/referrals.md)."""

from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class ProgramNotFound(NotFound):
    code = "referral_program_not_found"


class ProgramExists(Conflict):
    code = "referral_program_exists"


class ProgramNotActive(ValidationFailed):
    code = "referral_program_not_active"


class ProgramRequired(ValidationFailed):
    """The workspace has several active programs and the request names none."""

    code = "referral_program_required"


class CodeNotFound(NotFound):
    code = "referral_code_not_found"


class AttributionNotAllowed(ValidationFailed):
    code = "attribution_not_allowed"


class AlreadyReferred(Conflict):
    code = "already_referred"


class InvalidReward(ValidationFailed):
    code = "invalid_reward"
