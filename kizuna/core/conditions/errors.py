"""The one error of the condition language: 422 `invalid_condition`, naming the JSON path of the
fault (`condition.all[2].value`)."""

from kizuna.core.errors import ValidationFailed


class InvalidCondition(ValidationFailed):
    code = "invalid_condition"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
