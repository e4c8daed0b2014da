"""The demo's three surveys, as a marketer of Hoshi Tea & Living would write them, in English,
Japanese and Korean: a relationship NPS, a post-purchase CSAT and a product feedback survey
with logic (a page jump for unhappy tasters, a matrix, a variable, recall of answers)."""

from typing import Any

LANGUAGES = ["en", "ja", "ko"]


def t(en: str, ja: str, ko: str) -> dict[str, str]:
    return {"default": en, "ja": ja, "ko": ko}


def _choices(*items: tuple[str, str, str, str]) -> list[dict[str, Any]]:
    return [{"id": key, "text": t(en, ja, ko)} for key, en, ja, ko in items]


IMPROVEMENTS = _choices(
    ("prices", "Prices", "価格", "가격"),
    ("delivery", "Delivery", "配送", "배송"),
    ("quality", "Product quality", "商品の品質", "상품 품질"),
    ("selection", "Selection", "品揃え", "상품 구성"),
    ("service", "Customer service", "カスタマーサービス", "고객 서비스"),
    ("app", "App and website", "アプリとウェブサイト", "앱과 웹사이트"),
)

RELATIONSHIP: dict[str, Any] = {
    "id": "relationship-nps",
    "name": "Relationship NPS",
    "languages": LANGUAGES,
    "default_language": "en",
    "timezone": "America/Los_Angeles",
    "recontact": {"days": 80},
    "definition": {
        "welcome": {
            "title": t(
                "Two minutes for Hoshi Tea?",
                "Hoshi Teaについて2分ほどお聞かせください",
                "Hoshi Tea에 대해 2분만 시간을 내주시겠어요?",
            ),
            "button_text": t("Start", "始める", "시작"),
        },
        "pages": [
            {
                "id": "score",
                "elements": [
                    {
                        "id": "nps",
                        "type": "nps",
                        "title": t(
                            "{customer.first_name|You}, how likely are you to recommend "
                            "Hoshi Tea to a friend?",
                            "{customer.last_name|お客}様、Hoshi Teaを友人や知人に薦める可能性は"
                            "どのくらいありますか?",
                            "{customer.last_name|고객}님, Hoshi Tea를 친구나 지인에게 추천할 "
                            "가능성은 얼마나 되나요?",
                        ),
                        "required": True,
                        "min_label": t("Not at all likely", "全く薦めない", "전혀 추천하지 않음"),
                        "max_label": t("Extremely likely", "強く薦める", "매우 추천함"),
                    },
                    {
                        "id": "reason",
                        "type": "text",
                        "title": t(
                            "What is the main reason for your score of {answers.nps}?",
                            "{answers.nps}点とした一番の理由は何ですか?",
                            "{answers.nps}점을 주신 가장 큰 이유는 무엇인가요?",
                        ),
                        "multiline": True,
                        "validation": {"max_length": 2000},
                    },
                ],
                "next": [
                    {"if": {"field": "answers.nps", "op": "gte", "value": 9}, "goto": "review"}
                ],
            },
            {
                "id": "improve",
                "elements": [
                    {
                        "id": "improve",
                        "type": "multiple_choice",
                        "title": t(
                            "What should we improve first?",
                            "まず何を改善すべきでしょうか?",
                            "가장 먼저 무엇을 개선해야 할까요?",
                        ),
                        "choices": IMPROVEMENTS,
                        "max": 3,
                        "other": True,
                        "other_text": t("Something else", "その他", "기타"),
                    },
                ],
            },
        ],
        "endings": [
            {
                "id": "review",
                "title": t(
                    "Thank you! Would you share it in a review?",
                    "ありがとうございます!レビューでも教えていただけますか?",
                    "감사합니다! 리뷰로도 공유해 주시겠어요?",
                ),
                "redirect_url": "https://example.com/hoshi-tea/reviews",
            },
            {
                "id": "thanks",
                "title": t(
                    "Thank you, we read every answer.",
                    "ありがとうございます。すべての回答に目を通しています。",
                    "감사합니다. 모든 답변을 읽고 있습니다.",
                ),
            },
        ],
    },
}

POST_PURCHASE: dict[str, Any] = {
    "id": "post-purchase-csat",
    "name": "After your order",
    "languages": LANGUAGES,
    "default_language": "en",
    "timezone": "America/Los_Angeles",
    "definition": {
        "hidden_fields": ["order_id", "channel"],
        "pages": [
            {
                "id": "order",
                "elements": [
                    {
                        "id": "csat",
                        "type": "csat",
                        "title": t(
                            "How satisfied are you with order {hidden.order_id|of yours}?",
                            "ご注文{hidden.order_id|}の満足度を教えてください。",
                            "주문 {hidden.order_id|}에 얼마나 만족하셨나요?",
                        ),
                        "required": True,
                        "min_label": t("Very dissatisfied", "非常に不満", "매우 불만족"),
                        "max_label": t("Very satisfied", "非常に満足", "매우 만족"),
                    },
                    {
                        "id": "effort",
                        "type": "ces",
                        "title": t(
                            "How easy was it to place your order?",
                            "ご注文の手続きはどのくらい簡単でしたか?",
                            "주문 과정은 얼마나 쉬웠나요?",
                        ),
                        "min_label": t("Very difficult", "非常に難しい", "매우 어려움"),
                        "max_label": t("Very easy", "非常に簡単", "매우 쉬움"),
                    },
                    {
                        "id": "on_time",
                        "type": "single_choice",
                        "title": t(
                            "Did your parcel arrive on time?",
                            "商品は予定どおりに届きましたか?",
                            "상품이 제때 도착했나요?",
                        ),
                        "visible_if": {"field": "hidden.channel", "op": "eq", "value": "online"},
                        "choices": _choices(
                            ("yes", "Yes", "はい", "네"),
                            ("late", "It was late", "遅れて届いた", "늦게 도착했어요"),
                            ("not_yet", "Not yet", "まだ届いていない", "아직 안 왔어요"),
                        ),
                    },
                    {
                        "id": "comment",
                        "type": "text",
                        "title": t(
                            "Anything you would like to tell us?",
                            "ほかにお伝えいただきたいことはありますか?",
                            "더 하고 싶은 말씀이 있나요?",
                        ),
                        "multiline": True,
                        "validation": {"max_length": 2000},
                    },
                ],
            }
        ],
    },
}

ASPECTS = _choices(
    ("taste", "Taste", "味", "맛"),
    ("aroma", "Aroma", "香り", "향"),
    ("value", "Value for money", "価格に見合う価値", "가격 대비 가치"),
)
GRADES = _choices(
    ("poor", "Poor", "悪い", "나쁨"),
    ("fair", "Fair", "普通", "보통"),
    ("good", "Good", "良い", "좋음"),
    ("excellent", "Excellent", "とても良い", "매우 좋음"),
)

PRODUCT_FEEDBACK: dict[str, Any] = {
    "id": "product-feedback",
    "name": "Your new tea",
    "languages": LANGUAGES,
    "default_language": "en",
    "timezone": "America/Los_Angeles",
    "definition": {
        "hidden_fields": ["sku", "product"],
        "variables": [{"id": "stars_percent", "expression": "{answers.stars} * 20"}],
        "pages": [
            {
                "id": "rate",
                "elements": [
                    {
                        "id": "stars",
                        "type": "rating",
                        "title": t(
                            "How do you like {hidden.product|your tea}?",
                            "{hidden.product|お茶}はいかがでしたか?",
                            "{hidden.product|차}는 어떠셨나요?",
                        ),
                        "points": 5,
                        "display": "stars",
                        "required": True,
                    },
                    {
                        "id": "brew",
                        "type": "dropdown",
                        "title": t(
                            "How do you usually brew it?",
                            "普段どのように淹れていますか?",
                            "보통 어떻게 우려 드시나요?",
                        ),
                        "choices": _choices(
                            ("teapot", "In a teapot", "急須で", "찻주전자로"),
                            ("mug", "In a mug", "マグカップで", "머그컵으로"),
                            ("cold", "Cold brew", "水出し", "냉침"),
                            ("latte", "As a latte", "ラテで", "라테로"),
                        ),
                    },
                ],
                "next": [
                    {"if": {"field": "answers.stars", "op": "lte", "value": 2}, "goto": "problem"}
                ],
            },
            {
                "id": "details",
                "elements": [
                    {
                        "id": "aspects",
                        "type": "matrix",
                        "title": t(
                            "How would you rate it on each of these?",
                            "それぞれの点を評価してください。",
                            "각 항목을 평가해 주세요.",
                        ),
                        "rows": ASPECTS,
                        "choices": GRADES,
                    },
                    {
                        "id": "liked",
                        "type": "multiple_choice",
                        "title": t(
                            "What did you like most?",
                            "特に気に入った点は何ですか?",
                            "가장 마음에 든 점은 무엇인가요?",
                        ),
                        "choices": _choices(
                            ("flavour", "The flavour", "風味", "풍미"),
                            ("packaging", "The packaging", "パッケージ", "포장"),
                            ("freshness", "The freshness", "鮮度", "신선함"),
                            ("story", "The story of the farm", "茶園の物語", "다원 이야기"),
                        ),
                    },
                ],
                "next": [
                    {"if": {"field": "answers.stars", "op": "gte", "value": 3}, "goto": "thanks"}
                ],
            },
            {
                "id": "problem",
                "elements": [
                    {
                        "id": "problem",
                        "type": "single_choice",
                        "title": t(
                            "Sorry to hear that. What went wrong?",
                            "申し訳ございません。何が問題でしたか?",
                            "죄송합니다. 무엇이 문제였나요?",
                        ),
                        "required": True,
                        "choices": _choices(
                            (
                                "taste",
                                "Not to my taste",
                                "好みに合わなかった",
                                "입맛에 맞지 않았어요",
                            ),
                            ("stale", "It tasted stale", "風味が落ちていた", "신선하지 않았어요"),
                            (
                                "damaged",
                                "It arrived damaged",
                                "破損して届いた",
                                "파손되어 도착했어요",
                            ),
                            ("wrong", "Wrong item", "違う商品が届いた", "다른 상품이 왔어요"),
                        ),
                    },
                    {
                        "id": "problem_detail",
                        "type": "text",
                        "title": t(
                            "Tell us more, and we will make it right.",
                            "詳しく教えていただければ、対応いたします。",
                            "자세히 알려주시면 바로잡겠습니다.",
                        ),
                        "multiline": True,
                        "validation": {"max_length": 2000},
                    },
                ],
                "next": [
                    {"if": {"field": "answers.stars", "op": "lte", "value": 2}, "goto": "sorry"}
                ],
            },
        ],
        "endings": [
            {
                "id": "thanks",
                "title": t(
                    "Thank you! Enjoy your tea.",
                    "ありがとうございました!お茶をお楽しみください。",
                    "감사합니다! 맛있게 즐기세요.",
                ),
            },
            {
                "id": "sorry",
                "title": t(
                    "Thank you. Our team will contact you shortly.",
                    "ありがとうございました。担当者よりご連絡いたします。",
                    "감사합니다. 담당자가 곧 연락드리겠습니다.",
                ),
            },
        ],
    },
}

SURVEYS = (RELATIONSHIP, POST_PURCHASE, PRODUCT_FEEDBACK)
