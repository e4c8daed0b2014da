"""The import report: what of a SurveyJS survey has no place in Kizuna, by JSON path.

Every entry is `{path, problem, code}`: `path` the JSON path in the SurveyJS survey
(`pages[0].elements[2].choicesByUrl`), `problem` a sentence for a person, `code` for a
program:

| code | means |
|---|---|
| `unsupported_type` | The element type has no native equivalent; the element is kept in the SurveyJS source (the runtime evaluates what it can of it) and left out of the native definition. |
| `unsupported_property` | A property Kizuna neither shows nor evaluates; kept in the source only. |
| `unknown_property` | A property Kizuna does not know (a custom one, a typo); kept in the source only. |
| `mapped_approximately` | Mapped to the nearest native shape, which differs (the problem says how). |
| `not_evaluated` | Logic the runtime does not run (navigation such as the skip trigger, web requests). |
| `invalid` | Something SurveyJS itself would ignore or refuse (an expression that does not parse, a duplicate name); left out of the native definition. |
"""

from dataclasses import dataclass, field


@dataclass
class Report:
    entries: list[dict[str, str]] = field(default_factory=list)

    def add(self, path: str, problem: str, code: str) -> None:
        entry = {"path": path, "problem": problem, "code": code}
        if entry not in self.entries:
            self.entries.append(entry)
