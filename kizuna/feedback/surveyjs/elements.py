"""Element properties in expressions and texts: `{$q2.isVisible}`, `{$survey.locale}`,
`{$page1.title}` (survey-core 2.5.15 and later: the `$` prefix reads a property of the
element of that name instead of its value).

SurveyJS reads the live JavaScript object; the runtime answers what it computes of an
element (`COMPUTED`), and any other property SurveyJS defines from the JSON as written
(`properties.USED`/`PRESENTATION`, empty when not written). Anything else (`containsErrors`,
set by the browser when it checks a page) gives nothing, and the import reports it."""

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.properties import PRESENTATION, SURVEY_PRESENTATION, SURVEY_USED, USED

if TYPE_CHECKING:
    from kizuna.feedback.surveyjs.state import Run

PREFIX = "$"
# Element variables of a context: the choice of a choice's condition (read elsewhere), and
# those the runtime does not resolve (the element itself, its parent, its row or column).
CONTEXT_NAMES = frozenset({"item", "choice"})
UNRESOLVED = frozenset(
    {
        "self",
        "parent",
        "panel",
        "row",
        "column",
        "matrix",
        "composite",
        "prevrow",
        "nextrow",
        "totalrow",
    }
)
COMPUTED = frozenset(
    {
        "isVisible",
        "visible",
        "isRequired",
        "isReadOnly",
        "readOnly",
        "name",
        "title",
        "value",
        "locale",
    }
)


def readable(name: str) -> bool:
    """Whether `{$name.property}` reads something the runtime computes or holds (`name`
    without the prefix)."""
    head, _, prop = name.partition(".")
    if head.lower() in CONTEXT_NAMES:
        return True
    if head.lower() in UNRESOLVED or not prop:
        return False
    prop = prop.split(".")[0].split("[")[0]
    return (
        prop in COMPUTED
        or prop in USED
        or prop in PRESENTATION
        or (head == "survey" and (prop in SURVEY_USED or prop in SURVEY_PRESENTATION))
    )


class Elements(Mapping[str, Any]):
    """The `$name` entries of an expression's values: each an element's properties."""

    def __init__(self, state: "Run") -> None:
        self.state = state

    def _target(self, key: object) -> Mapping[str, Any] | None:
        if not isinstance(key, str) or not key.startswith(PREFIX):
            return None
        name = key[len(PREFIX) :]
        if name == "survey":
            return _Survey(self.state)
        question = self.state.model.find(name)
        if question is not None:
            return _Question(self.state, name)
        for index, page_name in enumerate(self.state.model.page_names):
            if page_name == name:
                return _Page(self.state, index)
        for question in self.state.model.questions:
            for panel in question.panels:
                if isinstance(panel.get("name"), str) and panel["name"].lower() == name.lower():
                    return _Panel(self.state, panel)
        return None

    def __contains__(self, key: object) -> bool:
        return self._target(key) is not None

    def __getitem__(self, key: str) -> Any:
        found = self._target(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Properties(Mapping[str, Any]):
    """Properties by their exact name (SurveyJS reads `obj[name]`, case and all)."""

    def __init__(self, state: "Run") -> None:
        self.state = state

    def read(self, prop: str) -> tuple[bool, Any]:
        raise NotImplementedError

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.read(key)[0]

    def __getitem__(self, key: str) -> Any:
        found, value = self.read(key)
        if not found:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


# What SurveyJS answers for a property the JSON does not write.
DEFAULTS = {"readOnly": False, "visible": True, "isRequired": False, "inputType": "text"}


def _written(spec: dict[str, Any], prop: str, known: frozenset[str]) -> tuple[bool, Any]:
    if prop not in known:
        return False, None
    return True, spec.get(prop, DEFAULTS.get(prop))


class _Question(_Properties):
    def __init__(self, state: "Run", name: str) -> None:
        super().__init__(state)
        self.name = name

    def read(self, prop: str) -> tuple[bool, Any]:
        state = self.state
        question = state.model.find(self.name)
        if question is None:
            return False, None
        with state.guard(f"{self.name}.{prop}") as free:
            if not free:
                return True, None  # a property read while it is computed: nothing
            if prop in ("isVisible", "visible"):
                return True, state.own_visible(question, with_choices=prop == "isVisible")
            if prop == "isRequired":
                return True, state.required(question)
            if prop == "isReadOnly":
                return True, not state.enabled(question)
            if prop == "readOnly":
                return True, not state.own_enabled(question.json, None)
            if prop == "name":
                return True, question.name
            if prop == "title":
                title = sjs.localized(
                    question.json.get("title"), state.language, state.default_language
                )
                return True, title if title is not None else question.name
            if prop == "value":
                return True, state.get(question)
        return _written(question.json, prop, USED | PRESENTATION)


class _Page(_Properties):
    def __init__(self, state: "Run", index: int) -> None:
        super().__init__(state)
        self.index = index

    def read(self, prop: str) -> tuple[bool, Any]:
        state = self.state
        page = state.model.pages[self.index]
        name = state.model.page_names[self.index]
        with state.guard(f"page {name}.{prop}") as free:
            if not free:
                return True, None
            if prop in ("isVisible", "visible"):
                return True, state.page_shown(self.index)
            if prop == "name":
                return True, name
            if prop == "title":
                return True, sjs.localized(
                    page.get("title"), state.language, state.default_language
                )
            if prop == "isReadOnly":
                return True, state.switch(page, "readOnly", "enableIf", None) is False
        return _written(page, prop, USED | PRESENTATION)


class _Panel(_Properties):
    def __init__(self, state: "Run", spec: dict[str, Any]) -> None:
        super().__init__(state)
        self.spec = spec

    def read(self, prop: str) -> tuple[bool, Any]:
        state = self.state
        with state.guard(f"panel {self.spec.get('name')}.{prop}") as free:
            if not free:
                return True, None
            if prop in ("isVisible", "visible"):
                return True, state.container_shown(self.spec)
            if prop == "title":
                title = sjs.localized(
                    self.spec.get("title"), state.language, state.default_language
                )
                return True, title if title is not None else self.spec.get("name")
            if prop == "isReadOnly":
                return True, not state.own_enabled(self.spec)
        return _written(self.spec, prop, USED | PRESENTATION)


class _Survey(_Properties):
    def read(self, prop: str) -> tuple[bool, Any]:
        state = self.state
        if prop == "locale":
            # survey.locale: the language the survey shows; English, the built-in default,
            # is "" (SurveyModel's locale setter)
            return True, "" if state.language == "en" else state.language
        if prop == "title":
            return True, sjs.localized(
                state.source.get("title"), state.language, state.default_language
            )
        return _written(state.source, prop, SURVEY_USED | SURVEY_PRESENTATION)
