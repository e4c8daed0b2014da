"""The evaluator of native definitions: visibility, the path, required and enabled elements,
variables, recall, quotas and the ending (kizuna.feedback.logic; docs/survey-logic.md)."""

from typing import Any

import pytest

from kizuna.feedback.logic import Evaluation, evaluate
from kizuna.feedback.tests.support import full_definition, t


def ev(definition: dict[str, Any], answers: dict[str, Any], **options: Any) -> Evaluation:
    options.setdefault("languages", ["en", "ja", "ko"])
    return evaluate(definition, answers, **options)


def page(page_id: str, *elements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": page_id, "elements": list(elements), **extra}


def el(element_id: str, kind: str = "nps", **extra: Any) -> dict[str, Any]:
    return {"id": element_id, "type": kind, "title": t(element_id.capitalize()), **extra}


def when(field: str, op: str, value: Any = None) -> dict[str, Any]:
    leaf = {"field": field, "op": op}
    if value is not None:
        leaf["value"] = value
    return leaf


# ------------------------------------------------------------------ visibility


def test_nothing_answered_shows_every_page_without_logic_against_it() -> None:
    result = ev(full_definition(), {})
    assert result.visible_pages == ["p1", "p2", "p3"]
    assert "Why not?" not in result.visible_elements  # nps is not answered: lte 6 is false
    assert result.visible_elements[:4] == ["nps", "csat", "ces", "stars"]
    assert result.required_elements == ["nps", "ok"]
    assert result.disabled_elements == ["email"]  # enable_if reads a row not answered
    assert result.errors == {"nps": ["required"], "ok": ["required"]}
    assert result.valid is False and result.complete is False and result.ending is None
    assert result.current_page == "p1"


def test_an_element_shows_when_its_condition_holds() -> None:
    result = ev(full_definition(), {"nps": 6})
    assert "Why not?" in result.visible_elements
    assert "Why not?" not in result.required_elements  # required_if reads hidden.source
    result = ev(full_definition(), {"nps": 6}, hidden={"source": "email"})
    assert "Why not?" in result.required_elements
    assert result.errors["Why not?"] == ["required"]


def test_a_page_whose_condition_fails_is_off_the_path_with_its_elements() -> None:
    result = ev(full_definition(), {"nps": 7, "csat": 5, "channel": "web"})
    assert result.visible_pages == ["p1", "p3"]
    assert "channel" not in result.visible_elements
    assert "channel" not in result.data  # the answer to a hidden element is dropped
    assert "channel" not in result.errors


def test_a_page_with_no_visible_element_is_hidden() -> None:
    definition = {
        "pages": [
            page("a", el("q")),
            page("b", el("only", visible_if=when("answers.q", "gte", 5))),
            page("c", el("last")),
        ]
    }
    assert ev(definition, {"q": 3}).visible_pages == ["a", "c"]
    assert ev(definition, {"q": 5}).visible_pages == ["a", "b", "c"]


def test_choices_and_rows_show_by_their_conditions() -> None:
    definition = full_definition()
    result = ev(definition, {"nps": 7, "channel": "web"})
    assert result.visible_choices["likes"] == ["tea", "other"]
    result = ev(definition, {"nps": 7, "channel": "shop"})
    assert result.visible_choices["likes"] == ["tea", "cups", "other"]
    assert result.texts["likes"].choices == {"tea": "Tea", "cups": "Cups", "other": "Other"}
    matrix = el(
        "grid",
        "matrix",
        rows=[
            {"id": "staff", "text": t("Staff")},
            {"id": "store", "text": t("Store"), "visible_if": when("answers.q", "eq", 1)},
        ],
        choices=[{"id": "bad", "text": t("Bad")}, {"id": "good", "text": t("Good")}],
        required=True,
    )
    rows = {"pages": [page("a", el("q"), matrix)]}
    result = ev(rows, {"q": 2, "grid": {"staff": "good"}})
    assert result.visible_rows == {"grid": ["staff"]}
    assert result.texts["grid"].rows == {"staff": "Staff"}
    assert result.errors == {} and result.data["grid"] == {"staff": "good"}
    result = ev(rows, {"q": 1, "grid": {"staff": "good"}})
    assert result.visible_rows == {"grid": ["staff", "store"]}
    assert result.errors == {"grid": ["required"]}  # a required matrix: every visible row
    result = ev(rows, {"q": 2, "grid": {"staff": "good", "store": "bad"}})
    assert result.errors == {"grid": ["invalid_choice"]}  # a row not shown
    assert "grid" not in result.data


def test_an_answer_to_a_hidden_choice_is_refused_and_dropped() -> None:
    result = ev(full_definition(), {"nps": 7, "channel": "web", "likes": ["cups"]})
    assert result.errors == {"likes": ["invalid_choice"], "ok": ["required"]}
    assert "likes" not in result.data


def test_hiding_an_element_clears_what_depended_on_its_answer() -> None:
    definition = {
        "pages": [
            page(
                "a",
                el("q"),
                el("why", "text", visible_if=when("answers.q", "lte", 6)),
                el("more", "text", visible_if=when("answers.why", "exists")),
            )
        ]
    }
    result = ev(definition, {"q": 3, "why": "slow", "more": "really"})
    assert result.visible_elements == ["q", "why", "more"]
    assert result.data == {"q": 3, "why": "slow", "more": "really"}
    result = ev(definition, {"q": 9, "why": "slow", "more": "really"})
    assert result.visible_elements == ["q"]
    assert result.data == {"q": 9}


def test_an_element_shown_once_another_is_hidden_keeps_its_answer() -> None:
    definition = {
        "pages": [
            page(
                "a",
                el("q"),
                el("x", "text", visible_if=when("answers.q", "gte", 5)),
                el("y", "text", visible_if={"not": when("answers.x", "exists")}),
            )
        ]
    }
    result = ev(definition, {"q": 1, "x": "kept?", "y": "yes"})
    assert result.visible_elements == ["q", "y"]
    assert result.data == {"q": 1, "y": "yes"}


# ------------------------------------------------------------------ required, enabled


def test_enable_if_disables_and_drops_the_answer() -> None:
    definition = full_definition()
    answers = {"nps": 7, "email": "a@example.com", "ok": True}
    result = ev(definition, answers)
    assert "email" in result.disabled_elements and "email" not in result.data
    assert "email" not in result.errors
    answers["grid"] = {"staff": "good"}
    result = ev(definition, answers)
    assert result.disabled_elements == []
    assert result.data["email"] == "a@example.com"


def test_a_disabled_required_element_is_not_required() -> None:
    definition = {
        "pages": [page("a", el("q"), el("r", required=True, enable_if=when("answers.q", "gte", 5)))]
    }
    result = ev(definition, {"q": 1})
    assert result.disabled_elements == ["r"] and result.required_elements == []
    assert result.valid
    result = ev(definition, {"q": 6})
    assert result.required_elements == ["r"] and result.errors == {"r": ["required"]}


def test_blank_answers_are_no_answers() -> None:
    definition = {"pages": [page("a", el("t", "text", required=True))]}
    for blank in (None, "", "   "):
        assert ev(definition, {"t": blank}).errors == {"t": ["required"]}
    assert ev(definition, {"t": "x"}).errors == {}


# ------------------------------------------------------------------ the path and the ending


def test_a_jump_skips_pages_and_what_they_require() -> None:
    definition = {
        "pages": [
            page("a", el("q"), next=[{"if": when("answers.q", "gte", 9), "goto": "c"}]),
            page("b", el("must", required=True)),
            page("c", el("last")),
        ],
        "endings": [{"id": "thanks", "title": t("Thanks")}],
    }
    result = ev(definition, {"q": 9, "must": 4})
    assert result.visible_pages == ["a", "c"]
    assert "must" not in result.visible_elements and "must" not in result.data
    assert result.valid and result.complete and result.ending == "thanks"
    result = ev(definition, {"q": 3})
    assert result.visible_pages == ["a", "b", "c"]
    assert result.errors == {"must": ["required"]} and result.ending is None
    assert result.current_page == "b"


def test_a_jump_to_an_ending_ends_the_path() -> None:
    result = ev(full_definition(), {"nps": 9, "ok": True})
    assert result.visible_pages == ["p1", "p3"]
    assert result.ending == "thanks"  # no jump to an ending: the first ending
    definition = {
        "pages": [
            page("a", el("q"), next=[{"if": when("answers.q", "lte", 2), "goto": "sorry"}]),
            page("b", el("must", required=True)),
        ],
        "endings": [
            {"id": "thanks", "title": t("Thanks")},
            {"id": "sorry", "title": t("Sorry, {answers.q|}!")},
        ],
    }
    result = ev(definition, {"q": 1})
    assert result.visible_pages == ["a"] and result.ending == "sorry" and result.complete
    assert result.endings["sorry"] == {"title": "Sorry, 1!"}
    result = ev(definition, {"q": 5, "must": 3})
    assert result.visible_pages == ["a", "b"] and result.ending == "thanks"


def test_a_jump_without_condition_always_applies_and_hidden_pages_jump_nowhere() -> None:
    definition = {
        "pages": [
            page("a", el("q"), next=[{"goto": "c"}]),
            page("b", el("skipped")),
            page(
                "c",
                el("r"),
                visible_if=when("answers.q", "eq", 0),
                next=[{"goto": "bye"}],
            ),
            page("d", el("s")),
        ],
        "endings": [{"id": "bye", "title": t("Bye")}],
    }
    assert ev(definition, {"q": 0}).visible_pages == ["a", "c"]
    # c is hidden: its jump to the ending does not apply, d follows.
    assert ev(definition, {"q": 1}).visible_pages == ["a", "d"]


def test_without_endings_the_built_in_thank_you() -> None:
    definition = {"pages": [page("a", el("q", required=True))]}
    result = ev(definition, {"q": 10})
    assert result.complete and result.ending is None
    assert result.ui["thank_you"] == "Thank you for your answers!"
    assert ev(definition, {}).complete is False


# ------------------------------------------------------------------ variables and recall


def test_variables_compute_in_order_and_drive_logic() -> None:
    result = ev(full_definition(), {"nps": 7, "stars": 4})
    assert result.variables == {"score": 74, "double": 50.3}
    result = ev(full_definition(), {})
    assert result.variables == {"score": None, "double": None}
    definition = {
        "hidden_fields": ["base"],
        "variables": [
            {"id": "ratio", "expression": "{answers.q} / ({answers.r} - 5)"},
            {"id": "best", "expression": "max({answers.q}, {answers.r}, {hidden.base})"},
            {"id": "fallback", "expression": "coalesce({variables.ratio}, -1)"},
            {"id": "rounded", "expression": "round(abs({answers.q} / 3), 2)"},
            {"id": "least", "expression": "min({answers.missing}, 2)"},
        ],
        "pages": [
            page(
                "a",
                el("q"),
                el("r"),
                el("missing"),
                next=[{"if": when("variables.fallback", "lt", 0), "goto": "low"}],
            ),
            page("b", el("s")),
        ],
        "endings": [{"id": "low", "title": t("Low")}],
    }
    result = ev(definition, {"q": 7, "r": 5}, hidden={"base": "9.5"})
    assert result.variables == {
        "ratio": None,  # divided by zero
        "best": 9.5,
        "fallback": -1,
        "rounded": 2.33,
        "least": 2,
    }
    assert result.visible_pages == ["a"] and result.ending == "low"
    result = ev(definition, {"q": 4, "r": 7}, hidden={"base": "many"})
    assert result.variables["ratio"] == 2 and result.variables["best"] == 7
    assert result.visible_pages == ["a", "b"]


def test_recall_shows_answers_hidden_fields_and_variables_with_fallbacks() -> None:
    definition = {
        "hidden_fields": ["store"],
        "variables": [{"id": "score", "expression": "{answers.q} * 10"}],
        "pages": [
            page(
                "a",
                el("q"),
                el(
                    "where",
                    "single_choice",
                    choices=[{"id": "web", "text": t("the web", ja="ウェブ")}],
                    other=True,
                ),
                el(
                    "why",
                    "text",
                    title=t(
                        "You gave {answers.q|no score} ({variables.score|?}) at "
                        "{hidden.store|our shop} via {answers.where|somewhere}.",
                        ja="{answers.where}で{answers.q|?}点",
                    ),
                ),
            )
        ],
    }
    result = ev(definition, {})
    assert result.texts["why"].title == "You gave no score (?) at our shop via somewhere."
    result = ev(definition, {"q": 8, "where": "web"}, hidden={"store": "Umeda"})
    assert result.texts["why"].title == "You gave 8 (80) at Umeda via the web."
    result = ev(definition, {"q": 8, "where": "web"}, language="ja")
    assert result.texts["why"].title == "ウェブで8点"
    result = ev(definition, {"where": "other", "where#other": "a friend"})
    assert result.texts["why"].title.endswith("via a friend.")
    assert result.data == {"where": "other", "where#other": "a friend"}


@pytest.mark.django_db
def test_recall_and_logic_read_the_customer(workspace: Any) -> None:
    from kizuna.customers.models import Customer

    customer = Customer.objects.create(
        workspace=workspace.workspace,
        external_id="c-1",
        first_name="Aiko",
        locale="ja-JP",
        attributes={"store": "Namba"},
    )
    definition = {
        "hidden_fields": ["store"],
        "pages": [
            page(
                "a",
                el("q", title=t("Thanks, {customer.first_name|there}! ({hidden.store|-})")),
                el("vip", "boolean", visible_if=when("customer.first_name", "eq", "Aiko")),
            )
        ],
    }
    result = ev(definition, {}, customer=customer, workspace=workspace.workspace)
    assert result.texts["q"].title == "Thanks, Aiko! (Namba)"  # store from the attribute
    assert result.visible_elements == ["q", "vip"]
    assert result.language == "ja"  # the customer's locale, as no language was asked
    result = ev(definition, {}, hidden={"store": "Umeda"}, customer=customer)
    assert result.texts["q"].title == "Thanks, Aiko! (Umeda)"
    result = ev(definition, {})
    assert result.texts["q"].title == "Thanks, there! (-)"
    assert result.visible_elements == ["q"]


# ------------------------------------------------------------------ quotas


def test_quotas_matched_and_a_full_quota_ends_the_response() -> None:
    definition = full_definition()
    answers = {"nps": 7, "likes": ["tea"], "ok": True}
    result = ev(definition, answers)
    assert result.quotas_matched == ["others"]
    assert result.ended_by_quota is None and result.screened_out is False
    result = ev(definition, answers, full_quotas={"others"})
    assert result.ended_by_quota == "others" and result.screened_out is True
    assert result.complete is True and result.ending is None
    result = ev(definition, {"nps": 7, "city": "osaka"})
    assert result.quotas_matched == []  # osaka-100 also needs customer.email


def test_a_long_chain_of_conditions_is_hidden_in_one_evaluation() -> None:
    elements = [el("q0")] + [
        el(f"q{i}", visible_if=when(f"answers.q{i - 1}", "exists")) for i in range(1, 60)
    ]
    definition = {"pages": [page("a", *elements)]}
    answers: dict[str, Any] = {f"q{i}": 5 for i in range(60)}
    assert ev(definition, answers).visible_elements == [f"q{i}" for i in range(60)]
    answers["q0"] = None
    result = ev(definition, answers)
    assert result.visible_elements == ["q0"] and result.data == {}


def test_a_condition_may_read_a_later_element() -> None:
    definition = {
        "pages": [
            page("a", el("intro", "text", visible_if=when("answers.later", "exists")), el("q")),
            page("b", el("later", visible_if=when("answers.q", "gte", 5))),
        ]
    }
    result = ev(definition, {"intro": "hi", "q": 6, "later": 3})
    assert result.visible_elements == ["intro", "q", "later"]
    result = ev(definition, {"intro": "hi", "q": 4, "later": 3})
    assert result.visible_elements == ["q"] and result.data == {"q": 4}


def test_a_condition_whose_field_is_gone_never_holds() -> None:
    # Checked when saved; a field can only be gone since. The whole condition never holds
    # (its `not` neither: it cannot be read at all).
    gone = when("customer.gone", "eq", "x")
    definition = {
        "pages": [
            page("a", el("q"), el("r", visible_if={"not": gone}), el("s", required_if=gone)),
            page("b", el("t"), visible_if=gone),
        ]
    }
    result = ev(definition, {"q": 1, "r": 2})
    assert result.visible_elements == ["q", "s"] and result.visible_pages == ["a"]
    assert result.required_elements == [] and result.data == {"q": 1}


@pytest.mark.django_db
def test_a_full_quota_with_an_ending_ends_there(workspace: Any) -> None:
    from kizuna.customers.models import Customer

    customer = Customer.objects.create(
        workspace=workspace.workspace, external_id="c-1", email="aiko@example.jp"
    )
    answers = {"nps": 7, "city": "osaka"}
    result = ev(full_definition(), answers, customer=customer)
    assert result.quotas_matched == ["osaka-100"]
    assert result.complete is False  # consent missing
    result = ev(full_definition(), answers, customer=customer, full_quotas={"osaka-100"})
    assert (result.ended_by_quota, result.ending, result.screened_out) == (
        "osaka-100",
        "bye",
        False,
    )
    assert result.complete is True


def test_hidden_fields_the_survey_does_not_declare_are_ignored() -> None:
    result = ev(full_definition(), {}, hidden={"source": 7, "campaign": "spring", "store": ""})
    assert result.hidden == {"source": "7"}
