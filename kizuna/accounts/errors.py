from kizuna.core.errors import Conflict, ValidationFailed


class WorkspaceExists(Conflict):
    code = "workspace_exists"


class StaffExists(Conflict):
    code = "staff_exists"


class InvalidRole(ValidationFailed):
    code = "invalid_role"
