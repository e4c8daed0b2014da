"""Whatever the answers, the evaluator answers (never an exception), and what it answers
holds together: data counts only answers given to shown, enabled elements, without errors."""

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kizuna.feedback.logic import check_submission, evaluate
from kizuna.feedback.tests.support import full_definition

DEFINITION = full_definition()
IDS = [e["id"] for p in DEFINITION["pages"] for e in p["elements"]]
CHOICE_IDS = ["web", "shop", "other", "tea", "cups", "osaka", "seoul", "price", "speed", "zz"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([*CHOICE_IDS, "2024-05-01", "a@example.com", "https://x.io", "42"])
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["staff", "store", "x"]), inner, max_size=3)
    ),
    max_leaves=8,
)
answers_strategy = st.dictionaries(
    st.sampled_from([*IDS, "channel#other", "likes#other", "nope", "nps#other"]),
    json_values,
    max_size=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=answers_strategy,
    hidden=st.dictionaries(st.sampled_from(["source", "store"]), st.text(max_size=5)),
    language=st.sampled_from([None, "ja", "ko-KR", "pt-BR", "EN"]),
)
@example(answers={"ok": False}, hidden={}, language=None)
@example(answers={"nps": 3, "Why not?": "", "channel": "other"}, hidden={}, language="ja")
@example(answers={"nps": 10, "likes": ["cups"], "grid": {"x": "good"}}, hidden={}, language=None)
def test_any_answers_get_a_coherent_evaluation(
    answers: dict[str, Any], hidden: dict[str, str], language: str | None
) -> None:
    result = evaluate(
        DEFINITION, answers, languages=["en", "ja", "ko"], language=language, hidden=hidden
    )
    assert result.language in ("en", "ja", "ko")
    visible = set(result.visible_elements)
    for key in result.data:
        element_id = key.removesuffix("#other")
        assert element_id in visible and element_id not in result.disabled_elements
        assert element_id not in result.errors
        assert key in answers
    assert set(result.errors) <= set(answers) | set(result.required_elements)
    assert result.valid == (not result.errors)
    assert set(result.texts) == visible
    assert set(result.messages) == set(result.errors)
    assert set(result.visible_pages) <= {"p1", "p2", "p3"}
    if result.ending is not None:
        assert result.complete
    faults = check_submission(DEFINITION, result, answers, finished=True)
    fault_ids = {fault.element_id for fault in faults}
    assert set(result.errors) <= fault_ids
    assert (
        not faults or not result.valid or any(f.code in ("not_visible", "disabled") for f in faults)
    )
