from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class ProgramNotFound(NotFound):
    code = "program_not_found"


class ProgramExists(Conflict):
    code = "program_exists"


class RuleNotFound(NotFound):
    code = "earning_rule_not_found"


class RuleExists(Conflict):
    code = "earning_rule_exists"


class TierNotFound(NotFound):
    code = "tier_not_found"


class TierExists(Conflict):
    code = "tier_exists"


class MilestoneExists(Conflict):
    code = "milestone_exists"


class NotAMember(NotFound):
    code = "not_a_member"


class InsufficientPoints(ValidationFailed):
    code = "insufficient_points"


class InvalidRule(ValidationFailed):
    code = "invalid_rule"
