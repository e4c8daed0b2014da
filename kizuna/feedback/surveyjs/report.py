"""The import report: what of a SurveyJS survey has no place in Kizuna, by JSON path.

Every entry is `{path, problem, code}`: `path` the JSON path in the SurveyJS survey
(`pages[0].elements[2].choicesByUrl`), `problem` a sentence for a person, `code` for a
program:

- `unsupported_type`: the element type has no native equivalent; natively a statement,
  the element kept in the SurveyJS source (the runtime evaluates what it can of it).
- `unsupported_property`: a property Kizuna neither shows nor evaluates; source only.
- `unknown_property`: a property Kizuna does not know (a custom one, a typo); source only.
- `mapped_approximately`: mapped to the nearest native shape, which differs (as said).
- `not_evaluated`: logic the runtime does not run (unknown trigger types, functions a page
  registers, element properties only the browser sets).
- `invalid`: what SurveyJS itself would ignore or refuse (an expression that does not
  parse, a name taken twice); left out of the native definition.
"""

from dataclasses import dataclass, field


@dataclass
class Report:
    entries: list[dict[str, str]] = field(default_factory=list)

    def add(self, path: str, problem: str, code: str) -> None:
        entry = {"path": path, "problem": problem, "code": code}
        if entry not in self.entries:
            self.entries.append(entry)
