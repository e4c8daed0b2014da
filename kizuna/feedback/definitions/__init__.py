"""Survey definitions: the JSON schema of a survey, checked strictly when saved (docs/surveys.md
is the reference). `check_definition` raises 422 with a machine-readable code and the JSON
path of the fault, or returns what the definition holds by id."""

from kizuna.feedback.definitions.elements import TYPES, ElementInfo
from kizuna.feedback.definitions.survey import Checked, check_definition

__all__ = ["TYPES", "Checked", "ElementInfo", "check_definition", "element_types"]


def element_types(definition: object) -> dict[str, str]:
    """{element_id: type} of a stored (valid) definition."""
    if not isinstance(definition, dict):
        return {}
    return {
        element["id"]: element["type"]
        for page in definition.get("pages", [])
        for element in page.get("elements", [])
    }
