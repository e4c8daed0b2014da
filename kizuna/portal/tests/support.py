"""Surveys for the tests of the hosted pages: a branching one in en/ja/ko (a page jump and a
visible_if), and one with every element type."""

from typing import Any

from django.db import transaction

from kizuna.accounts.services import NewWorkspace
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.customers.models import Customer
from kizuna.customers.services.consents import apply_consents, check_consents
from kizuna.feedback.models import Invitation, Survey
from kizuna.feedback.services.invitations import queue_invitations
from kizuna.feedback.services.links import public_link
from kizuna.feedback.services.surveys import create_survey, publish_survey

ACTOR = Actor("system", "tests")


def t(default: str, ja: str | None = None, ko: str | None = None) -> dict[str, str]:
    text = {"default": default}
    if ja:
        text["ja"] = ja
    if ko:
        text["ko"] = ko
    return text


def branching_definition() -> dict[str, Any]:
    """nps 9-10 jumps over page p2 to p3; `why` is shown for an nps of 6 or less."""
    return {
        "welcome": {
            "title": t("Two minutes?", "2分ほどお時間をください", "2분만 내주시겠어요?"),
            "text": t(
                "Tell us about your visit.",
                "ご来店についてお聞かせください。",
                "방문에 대해 알려 주세요.",
            ),
        },
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {
                        "id": "nps",
                        "type": "nps",
                        "title": t(
                            "How likely are you to recommend us?",
                            "当店を友人に薦める可能性はどのくらいですか?",
                            "저희를 추천할 가능성은 얼마나 되나요?",
                        ),
                        "required": True,
                        "min_label": t("Not likely", "全く薦めない", "전혀 아니다"),
                        "max_label": t("Very likely", "強く薦める", "매우 그렇다"),
                    }
                ],
                "next": [{"if": {"field": "answers.nps", "op": "gte", "value": 9}, "goto": "p3"}],
            },
            {
                "id": "p2",
                "elements": [
                    {
                        "id": "why",
                        "type": "text",
                        "title": t(
                            "What could we do better?",
                            "改善できる点は何ですか?",
                            "무엇을 개선하면 좋을까요?",
                        ),
                        "required": True,
                        "multiline": True,
                        "visible_if": {"field": "answers.nps", "op": "lte", "value": 6},
                    },
                    {
                        "id": "channel",
                        "type": "single_choice",
                        "title": t(
                            "Where did you buy?", "どこで購入しましたか?", "어디에서 구매하셨나요?"
                        ),
                        "choices": [
                            {"id": "shop", "text": t("In a shop", "店舗", "매장")},
                            {"id": "web", "text": t("Online", "オンライン", "온라인")},
                        ],
                        "other": True,
                        "other_text": t("Somewhere else", "その他の場所", "기타 장소"),
                    },
                ],
            },
            {
                "id": "p3",
                "elements": [
                    {
                        "id": "csat",
                        "type": "csat",
                        "title": t(
                            "How satisfied are you overall?",
                            "全体的な満足度は?",
                            "전반적으로 얼마나 만족하시나요?",
                        ),
                        "required": True,
                    }
                ],
            },
        ],
        "endings": [
            {
                "id": "thanks",
                "title": t("Thank you!", "ありがとうございました!", "감사합니다!"),
                "text": t(
                    "Your answers help us.", "ご回答は今後に役立てます。", "소중한 의견 감사합니다."
                ),
            }
        ],
    }


def every_type_definition() -> dict[str, Any]:
    choices = [
        {"id": "a", "text": t("Alpha")},
        {"id": "b", "text": t("Beta")},
        {"id": "c", "text": t("Gamma")},
    ]
    elements: list[dict[str, Any]] = [
        {"id": "nps", "type": "nps", "title": t("NPS")},
        {"id": "csat", "type": "csat", "title": t("CSAT")},
        {"id": "ces", "type": "ces", "title": t("CES")},
        {"id": "stars", "type": "rating", "title": t("Stars"), "points": 5, "display": "stars"},
        {
            "id": "single",
            "type": "single_choice",
            "title": t("Single"),
            "choices": choices,
            "other": True,
        },
        {
            "id": "multi",
            "type": "multiple_choice",
            "title": t("Multi"),
            "choices": choices,
            "max": 2,
        },
        {"id": "drop", "type": "dropdown", "title": t("Drop"), "choices": choices},
        {"id": "rank", "type": "ranking", "title": t("Rank"), "choices": choices},
        {
            "id": "grid",
            "type": "matrix",
            "title": t("Grid"),
            "rows": [{"id": "staff", "text": t("Staff")}, {"id": "price", "text": t("Price")}],
            "choices": [{"id": "bad", "text": t("Bad")}, {"id": "good", "text": t("Good")}],
        },
        {"id": "mail", "type": "text", "title": t("Email"), "validation": {"format": "email"}},
        {"id": "day", "type": "date", "title": t("Day")},
        {"id": "yes", "type": "boolean", "title": t("Yes?")},
        {
            "id": "ok",
            "type": "consent",
            "title": t("Consent"),
            "label": t("I agree"),
            "required": True,
        },
        {
            "id": "note",
            "type": "statement",
            "title": t("Read this"),
            "button": {"text": t("More"), "url": "https://example.com/more"},
        },
    ]
    return {
        "pages": [{"id": "p1", "elements": elements}],
        "endings": [
            {"id": "done", "title": t("Done"), "redirect_url": "https://example.com/after"}
        ],
    }


def make_survey(
    workspace: NewWorkspace, key: str, definition: dict[str, Any], *, publish: bool = True
) -> Survey:
    create_survey(
        workspace.workspace,
        {
            "id": key,
            "name": f"Survey {key}",
            "languages": ["en", "ja", "ko"],
            "default_language": "en",
            "timezone": "Asia/Tokyo",
            "definition": definition,
        },
        ACTOR,
    )
    if publish:
        return publish_survey(workspace.workspace, key, ACTOR)
    return Survey.objects.get(workspace=workspace.workspace, key=key)


def link_token(survey: Survey) -> str:
    """The token of the survey's public link."""
    return public_link(survey).token


def invite(workspace: NewWorkspace, survey_key: str = "visit") -> Invitation:
    """An invitation to the survey for a Japanese customer who consents to survey emails."""
    customer = Customer.objects.create(
        workspace=workspace.workspace, external_id="c1", email="mei@example.com", locale="ja"
    )
    customer.workspace = workspace.workspace
    granted = check_consents({"surveys": {"status": "granted", "updated_at": now()}})
    with transaction.atomic():
        apply_consents(customer, granted, "test")
    queued = queue_invitations(workspace.workspace, survey_key, {"customer_ids": ["c1"]})
    assert queued.queued == 1
    return Invitation.objects.get(customer=customer)
