"""A year of answers to the demo's three surveys, planned from the customers' own history.

Pure functions of the plan, a seed and the customers' tiers (no database). Who answers and what
follows what a customer lived: the relationship survey goes out each quarter to customers who
have bought, and its score rises with how much they buy and with their tier and falls after a
refund; the post-purchase survey follows about one paid order in five, and a refunded order or a
late parcel lowers it; new teas are rated by some who bought tea. The year has a story that the
trends show: parcels ran late in the fourth and fifth months of the year (satisfaction and NPS
dip then, online orders most, and "delivery" leads what detractors write about), and a new
packaging in the ninth month lifts product ratings. Some who open a survey leave without an
answer, and some respondents stop before the end, so starts and drop-off have something to
show."""

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kizuna.demo.plans import PAID, CustomerPlan, DemoPlan, OrderPlan

RELATIONSHIP, POST_PURCHASE, PRODUCT = "relationship-nps", "post-purchase-csat", "product-feedback"
TIER_LIFT = {"gold": 0.6, "platinum": 1.0}
TEAS = frozenset({"green tea", "black tea", "matcha", "oolong", "herbal"})
DEVICES = (("mobile", 6), ("desktop", 3), ("tablet", 1))


@dataclass(slots=True)
class ResponsePlan:
    survey: str
    customer: CustomerPlan
    moment: datetime
    channel: str
    device: str
    answers: dict[str, Any]
    hidden: dict[str, str] = field(default_factory=dict)
    time_ms: dict[str, int] = field(default_factory=dict)
    finished: bool = True
    opened_before: bool = False  # an earlier display, left without an answer

    @property
    def language(self) -> str:
        return self.customer.lang


# Open answers by language and mood: what customers write in each of the three languages.
COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "good": (
            "The sencha is always fresh and the shipping is fast.",
            "Lovely teas and friendly staff in the Portland shop.",
            "Great quality, I recommend you to all my friends.",
            "The matcha is the best I have found outside Japan.",
            "Easy to order and the packaging is beautiful.",
        ),
        "mixed": (
            "Good tea, but the prices went up a lot this year.",
            "I like the selection, although delivery took longer than promised.",
            "Nice shop, the app is a bit slow though.",
        ),
        "bad": (
            "My parcel arrived a week late and nobody answered my email.",
            "The tea tasted stale and the tin was dented.",
            "Too expensive for what you get.",
            "Customer service never replied to my refund request.",
        ),
    },
    "ja": {
        "good": (
            "いつも新鮮でおいしいお茶が届きます。",
            "店員さんがとても親切で、また伺いたいです。",
            "抹茶の品質が素晴らしく、友人にも薦めています。",
            "注文が簡単で、包装もきれいでした。",
            "京都のお店の雰囲気が大好きです。",
        ),
        "mixed": (
            "お茶はおいしいですが、配送に少し時間がかかりました。",
            "品揃えは良いのですが、値段が上がったのが残念です。",
            "アプリが少し使いにくいですが、商品には満足しています。",
        ),
        "bad": (
            "届くのが一週間も遅れ、問い合わせにも返信がありませんでした。",
            "風味が落ちていて、缶もへこんでいました。",
            "返金の対応が遅く、大変残念に思います。",
            "値段の割に品質が良くないと感じました。",
        ),
    },
    "ko": {
        "good": (
            "차가 항상 신선하고 배송도 빨라요.",
            "서울 매장 직원분들이 정말 친절해요.",
            "말차 품질이 훌륭해서 친구들에게도 추천했어요.",
            "주문이 쉽고 포장이 예뻐요.",
            "향이 좋아서 매일 마시고 있습니다.",
        ),
        "mixed": (
            "차는 맛있지만 배송이 조금 늦었어요.",
            "상품 구성은 좋은데 가격이 많이 올랐네요.",
            "앱이 조금 느리지만 상품에는 만족합니다.",
        ),
        "bad": (
            "택배가 일주일이나 늦게 왔고 문의에 답이 없었어요.",
            "차 맛이 변했고 통이 찌그러져 있었습니다.",
            "환불 처리가 너무 늦어서 실망했습니다.",
            "가격에 비해 품질이 아쉬워요.",
        ),
    },
}


def _mood(comment_score: float) -> str:
    return "good" if comment_score >= 0.66 else ("bad" if comment_score < 0.4 else "mixed")


def late_parcels(moment: datetime, start: datetime) -> float:
    """How late parcels ran at a moment: 1 in the fourth and fifth months of the window."""
    month = (moment - start).days // 30
    return 1.0 if month in (3, 4) else (0.4 if month == 5 else 0.0)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _comment(rng: random.Random, lang: str, goodness: float) -> str:
    return rng.choice(COMMENTS[lang][_mood(goodness)])


def _times(rng: random.Random, elements: list[str]) -> dict[str, int]:
    return {element: rng.randint(1500, 25_000) for element in elements}


def _paid_before(customer: CustomerPlan, moment: datetime) -> list[OrderPlan]:
    return [o for o in customer.orders if o.status == PAID and o.occurred_at < moment]


def _relationship(
    rng: random.Random, customer: CustomerPlan, moment: datetime, start: datetime, tier: str
) -> ResponsePlan:
    orders = _paid_before(customer, moment)
    refunded = any(o.refunds and o.refunds[0].occurred_at < moment for o in customer.orders)
    latent = 7.9 + min(len(orders), 8) * 0.18 + TIER_LIFT.get(tier, 0.0)
    latent -= 1.6 * refunded + 1.3 * late_parcels(moment, start) + rng.gauss(0, 1.9)
    latent += (moment - start).days / 365 * 0.6  # service improves over the year
    nps = _clamp(latent, 0, 10)
    answers: dict[str, Any] = {"nps": nps}
    elements = ["nps"]
    if rng.random() < 0.45:
        answers["reason"] = _comment(rng, customer.lang, nps / 10)
        elements.append("reason")
    finished = rng.random() > 0.06
    if finished and nps <= 8:
        weights = [1, 1 + 4 * late_parcels(moment, start), 1, 1, 1 + refunded * 3, 1]
        picks = set(
            rng.choices(
                ["prices", "delivery", "quality", "selection", "service", "app"],
                weights=weights,
                k=rng.randint(1, 3),
            )
        )
        answers["improve"] = sorted(picks)
        elements.append("improve")
    channel = "email" if customer.app_user is False or rng.random() < 0.6 else "in_app"
    return ResponsePlan(
        RELATIONSHIP,
        customer,
        moment,
        channel,
        _weighted(rng, DEVICES),
        answers,
        time_ms=_times(rng, elements),
        finished=finished,
    )


def _post_purchase(
    rng: random.Random, order: OrderPlan, moment: datetime, start: datetime
) -> ResponsePlan:
    online = order.channel == "online"
    late = online and rng.random() < 0.1 + 0.45 * late_parcels(order.occurred_at, start)
    latent = 4.3 - 1.8 * bool(order.refunds) - 1.4 * late + rng.gauss(0, 0.8)
    csat = _clamp(latent, 1, 5)
    answers: dict[str, Any] = {"csat": csat}
    elements = ["csat"]
    if rng.random() < 0.85:
        answers["effort"] = _clamp(5.8 - 1.2 * late + rng.gauss(0, 1.0), 1, 7)
        elements.append("effort")
    if online:
        answers["on_time"] = "late" if late else ("not_yet" if rng.random() < 0.03 else "yes")
        elements.append("on_time")
    if rng.random() < 0.35:
        answers["comment"] = _comment(rng, order.customer.lang, (csat - 1) / 4)
        elements.append("comment")
    hidden = {"order_id": order.external_id, "channel": order.channel}
    return ResponsePlan(
        POST_PURCHASE,
        order.customer,
        moment,
        "email",
        _weighted(rng, DEVICES),
        answers,
        hidden=hidden,
        time_ms=_times(rng, elements),
        finished=rng.random() > 0.04,
    )


def _product(
    rng: random.Random, order: OrderPlan, moment: datetime, start: datetime
) -> ResponsePlan | None:
    teas = [item for item in order.items if item.category in TEAS]
    if not teas:
        return None
    item = rng.choice(teas)
    packaging = 0.5 if (moment - start).days >= 240 else 0.0
    stars = _clamp(3.9 + packaging - 1.5 * bool(order.refunds) + rng.gauss(0, 0.9), 1, 5)
    answers: dict[str, Any] = {"stars": stars}
    if rng.random() < 0.8:
        answers["brew"] = rng.choice(["teapot", "mug", "cold", "latte"])
    grades = ["poor", "fair", "good", "excellent"]
    if stars >= 3:
        answers["aspects"] = {
            aspect: grades[_clamp(stars - 2 + rng.gauss(0, 0.7), 0, 3)]
            for aspect in ("taste", "aroma", "value")
        }
        answers["liked"] = sorted(
            set(
                rng.choices(
                    ["flavour", "packaging", "freshness", "story"],
                    weights=[4, 1 + 4 * packaging, 2, 1],
                    k=rng.randint(1, 2),
                )
            )
        )
    else:
        answers["problem"] = rng.choice(["taste", "stale", "damaged", "wrong"])
        if rng.random() < 0.6:
            answers["problem_detail"] = _comment(rng, order.customer.lang, 0.1)
    return ResponsePlan(
        PRODUCT,
        order.customer,
        moment,
        "email",
        _weighted(rng, DEVICES),
        answers,
        hidden={"sku": item.sku, "product": item.name},
        time_ms=_times(rng, list(answers)),
        finished=rng.random() > 0.05,
    )


def plan_answers(plan: DemoPlan, seed: int, tiers: Mapping[str, str]) -> list[ResponsePlan]:
    """Every response of the year, in the order it was given (`tiers`: the tier of each
    customer by external id, where loyalty gives one)."""
    rng = random.Random(f"kizuna-demo-surveys:{seed}")  # noqa: S311 (not a secret)
    start = plan.anchor - timedelta(days=365)
    responses: list[ResponsePlan] = []
    waves = [start + timedelta(days=days) for days in (20, 111, 202, 293)]
    for customer in plan.customers:
        for wave in waves:
            moment = wave + timedelta(hours=rng.randint(0, 24 * 10))
            if moment < plan.anchor and _paid_before(customer, moment) and rng.random() < 0.3:
                tier = tiers.get(customer.external_id, "")
                responses.append(_relationship(rng, customer, moment, start, tier))
    for order in plan.orders:
        if order.status != PAID:
            continue
        moment = order.occurred_at + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 20))
        if moment < plan.anchor and rng.random() < 0.2:
            responses.append(_post_purchase(rng, order, moment, start))
        moment += timedelta(days=rng.randint(7, 14))
        if moment < plan.anchor and rng.random() < 0.09:
            planned = _product(rng, order, moment, start)
            if planned is not None:
                responses.append(planned)
    for response in responses:
        response.opened_before = rng.random() < 0.18
    responses.sort(key=lambda r: (r.moment, r.survey, r.customer.number))
    return responses


def visible_answers(response: ResponsePlan) -> dict[str, Any]:
    """The answers of an unfinished response: those of its first page only."""
    if response.finished:
        return response.answers
    first_page = {"nps", "reason", "csat", "effort", "on_time", "comment", "stars", "brew"}
    return {key: value for key, value in response.answers.items() if key in first_page}
