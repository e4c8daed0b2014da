"""Recall: a text may show an earlier answer, a hidden field, a variable or something of the
customer, with a fallback for when there is none:

    "Thanks, {customer.first_name|there}! You gave us {answers.nps}."
    "What made it a {answers.nps|good} for you?"

A recall is `{` a field `|fallback}` `}` (the fallback optional), its field one a condition could
name: `answers.<element_id>` (`answers.<matrix_id>[<row_id>]`), `hidden.<name>`,
`variables.<id>`, or a customer field (`customer.first_name`, `customer.attributes.<name>`).
Braces around anything else are plain text. An unknown field is 422 `invalid_recall` naming
the text."""

import re

from kizuna.core import conditions as c
from kizuna.core.models import Workspace
from kizuna.feedback.definitions.common import fail

RECALL = re.compile(r"\{((?:answers|hidden|variables|customer)\.[^{}|]+)(?:\|([^{}]*))?\}")
SUBJECTS = frozenset({"response", "customer"})


def recalls(text: str) -> list[tuple[str, str | None]]:
    """(field, fallback) of every recall in a text, in order."""
    return [(m.group(1), m.group(2)) for m in RECALL.finditer(text)]


def check_recalls(texts: list[tuple[str, str]], registry: c.Registry, workspace: Workspace) -> None:
    resolution = c.Resolution(workspace)
    for path, text in texts:
        for name, _fallback in recalls(text):
            try:
                spec = registry.resolve(name, resolution, path)
            except c.InvalidCondition as exc:
                fail(
                    path,
                    f"Cannot recall {{{name}}}: {exc.message.split(': ', 1)[-1]}",
                    "invalid_recall",
                )
            if spec.subject not in SUBJECTS:
                fail(
                    path,
                    f"Cannot recall {{{name}}}: texts recall answers, hidden fields, "
                    "variables and customer fields.",
                    "invalid_recall",
                )
