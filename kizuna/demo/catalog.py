"""The demo retailer: Hoshi Tea & Living, a tea-and-lifestyle brand with shops in Portland,
Brooklyn, Tokyo, Kyoto and Seoul and online stores in the United States, Japan and Korea.

Static reference data only (products, prices, markets, stores, cities, coupons, phrases)."""

from dataclasses import dataclass
from decimal import Decimal

WORKSPACE_SLUG = "kizuna-demo"
WORKSPACE_NAME = "Hoshi Tea & Living"
WORKSPACE_CURRENCY = "USD"
WORKSPACE_LOCALE = "en"
WORKSPACE_TIMEZONE = "America/Los_Angeles"
STAFF_EMAIL = "demo@kizuna.example"
STAFF_NAME = "Demo Owner"
# Reserved example domains (RFC 2606): no message to a demo customer can reach anyone.
EMAIL_DOMAINS = (("example.com", 6), ("example.net", 3), ("example.org", 1))


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    usd: Decimal
    food: bool  # Japan taxes food (tea, sweets) at the reduced 8% rate
    popularity: int
    tea: str = ""  # the `favorite_tea` it appeals to


def _p(
    sku: str, name: str, category: str, usd: str, food: bool, popularity: int, tea: str = ""
) -> Product:
    return Product(sku, name, category, Decimal(usd), food, popularity, tea)


PRODUCTS: tuple[Product, ...] = (
    _p("GT-SEN-100", "Sencha Asatsuyu 100g", "green tea", "18.00", True, 14, "sencha"),
    _p("GT-GYO-050", "Gyokuro Yame 50g", "green tea", "32.00", True, 5, "sencha"),
    _p("GT-HOJ-100", "Hojicha Kaga Roast 100g", "green tea", "14.50", True, 12, "hojicha"),
    _p("GT-GEN-200", "Genmaicha 200g", "green tea", "12.00", True, 10, "sencha"),
    _p("GT-SEJ-080", "Jeju Sejak Green Tea 80g", "green tea", "26.00", True, 6, "sencha"),
    _p("MT-CER-030", "Ceremonial Matcha Uji 30g", "matcha", "34.00", True, 9, "matcha"),
    _p("MT-DAI-100", "Daily Matcha 100g", "matcha", "28.00", True, 11, "matcha"),
    _p("MT-LAT-200", "Matcha Latte Blend 200g", "matcha", "19.50", True, 9, "matcha"),
    _p("BT-ASS-100", "Assam Breakfast 100g", "black tea", "12.00", True, 8, "black"),
    _p("BT-DAR-050", "Darjeeling First Flush 50g", "black tea", "24.00", True, 5, "black"),
    _p("BT-WAK-050", "Wakocha Kagoshima 50g", "black tea", "20.00", True, 4, "black"),
    _p("OL-TIK-100", "Tieguanyin Oolong 100g", "oolong", "22.00", True, 6, "oolong"),
    _p("OL-DHP-050", "Da Hong Pao 50g", "oolong", "30.00", True, 3, "oolong"),
    _p("HB-YUZ-020", "Yuzu Ginger Tisane, 20 sachets", "herbal", "11.00", True, 9, "herbal"),
    _p("HB-MUG-250", "Roasted Barley Tea 250g", "herbal", "8.00", True, 8, "herbal"),
    _p("HB-OMI-100", "Omija Berry Tea 100g", "herbal", "16.00", True, 5, "herbal"),
    _p("HB-CAM-050", "Chamomile & Lavender 50g", "herbal", "13.00", True, 5, "herbal"),
    _p("TW-KYU-300", "Tokoname Kyusu Teapot 300ml", "teaware", "78.00", False, 3),
    _p("TW-CHW-HAG", "Matcha Bowl, Hagi Glaze", "teaware", "54.00", False, 3, "matcha"),
    _p("TW-CHS-BAM", "Bamboo Chasen Whisk", "teaware", "24.00", False, 5, "matcha"),
    _p("TW-CUP-002", "Stoneware Cups, Set of 2", "teaware", "36.00", False, 4),
    _p("TW-KET-080", "Gooseneck Kettle 0.8L", "teaware", "89.00", False, 2),
    _p("TW-INF-500", "Glass Infuser Bottle 500ml", "teaware", "29.00", False, 5),
    _p("AC-CAN-WSH", "Washi Tea Canister", "accessories", "18.00", False, 5),
    _p("AC-SCO-BRS", "Brass Tea Scoop", "accessories", "15.00", False, 3),
    _p("AC-FIL-100", "Paper Tea Filters, 100", "accessories", "6.50", False, 7),
    _p("SW-YOK-005", "Yokan Assortment, 5 pieces", "sweets", "16.00", True, 5),
    _p("SW-MON-006", "Monaka Wafers, 6", "sweets", "14.00", True, 4),
    _p("SW-YAK-008", "Yakgwa Honey Cookies, 8", "sweets", "15.00", True, 4),
    _p("LS-CAN-HIN", "Hinoki Soy Candle", "lifestyle", "32.00", False, 4),
    _p("LS-TEN-LIN", "Linen Tenugui Towel", "lifestyle", "18.00", False, 4),
    _p("LS-INC-SAN", "Sandalwood Incense, 30 sticks", "lifestyle", "14.00", False, 3),
    _p("LS-MUG-IND", "Indigo Glaze Mug", "lifestyle", "26.00", False, 4),
    _p("GS-DIS-003", "Discovery Set, 3 Teas", "gift sets", "39.00", True, 4),
    _p("GS-MAT-KIT", "Matcha Starter Kit", "gift sets", "85.00", True, 2, "matcha"),
    _p("GS-SEA-BOX", "Seasonal Tea Box", "gift sets", "48.00", True, 3),
)
TEAS = ("sencha", "matcha", "hojicha", "oolong", "black", "herbal")


def local_price(product: Product, currency: str) -> Decimal:
    """Shelf prices: USD as listed; yen at a ...80 price point, won in round thousands."""
    if currency == "USD":
        return product.usd
    if currency == "JPY":
        return Decimal(int((product.usd * 140 + 50) // 100) * 100 - 20)
    if currency == "KRW":
        return Decimal(int((product.usd * 1350 + 500) // 1000) * 1000)
    raise ValueError(currency)


@dataclass(frozen=True)
class Coupon:
    code: str
    percent: int = 0
    amount_off: Decimal = Decimal(0)
    minimum: Decimal = Decimal(0)


@dataclass(frozen=True)
class Market:
    code: str
    currency: str
    prices_include_tax: bool  # Japan and Korea show tax-inclusive prices
    shipping_fee: Decimal
    free_shipping_from: Decimal
    online_payments: tuple[tuple[str, int], ...]
    store_payments: tuple[tuple[str, int], ...]
    coupons: tuple[Coupon, ...]


WELCOME = Coupon("WELCOME10", percent=10)
CLUB = Coupon("TEACLUB10", percent=10)
MARKETS: dict[str, Market] = {
    "US": Market(
        "US",
        "USD",
        False,
        Decimal("6.95"),
        Decimal(50),
        (("card", 70), ("paypal", 15), ("apple_pay", 12), ("bank_transfer", 3)),
        (("card", 80), ("apple_pay", 15), ("cash", 5)),
        (
            Coupon("TEATIME15", percent=15),
            Coupon("TENOFF75", amount_off=Decimal(10), minimum=Decimal(75)),
        ),
    ),
    "JP": Market(
        "JP",
        "JPY",
        True,
        Decimal(660),
        Decimal(5000),
        (("card", 55), ("konbini", 18), ("paypay", 20), ("bank_transfer", 7)),
        (("card", 55), ("cash", 25), ("paypay", 20)),
        (
            Coupon("HARU15", percent=15),
            Coupon("SPRING500", amount_off=Decimal(500), minimum=Decimal(4000)),
        ),
    ),
    "KR": Market(
        "KR",
        "KRW",
        True,
        Decimal(3000),
        Decimal(30000),
        (("card", 50), ("kakaopay", 28), ("naverpay", 18), ("bank_transfer", 4)),
        (("card", 75), ("kakaopay", 20), ("cash", 5)),
        (
            Coupon("BOM15", percent=15),
            Coupon("GIFT5000", amount_off=Decimal(5000), minimum=Decimal(50000)),
        ),
    ),
}
# Paid later (convenience-store slip, bank transfer): the order waits as pending meanwhile.
DEFERRED_PAYMENTS = frozenset({"konbini", "bank_transfer"})


@dataclass(frozen=True)
class Store:
    code: str
    location: str
    market: str
    timezone: str
    sales_tax: Decimal  # percent, US stores only


STORES: dict[str, Store] = {
    s.code: s
    for s in (
        Store("PDX", "Portland Alberta St", "US", "America/Los_Angeles", Decimal(0)),
        Store("BKN", "Brooklyn Williamsburg", "US", "America/New_York", Decimal("8.875")),
        Store("TYO", "Tokyo Daikanyama", "JP", "Asia/Tokyo", Decimal(0)),
        Store("KYO", "Kyoto Sanjo", "JP", "Asia/Tokyo", Decimal(0)),
        Store("SEL", "Seoul Seongsu", "KR", "Asia/Seoul", Decimal(0)),
    )
}


@dataclass(frozen=True)
class City:
    name: str
    market: str
    timezone: str
    weight: int
    store: str | None = None
    area_code: str = ""  # US only
    sales_tax: Decimal = Decimal(0)  # percent, US only


def _us(name: str, tz: str, area: str, tax: str, weight: int, store: str | None = None) -> City:
    return City(name, "US", tz, weight, store, area, Decimal(tax))


CITIES: dict[str, tuple[City, ...]] = {
    "US": (
        _us("New York", "America/New_York", "212", "8.875", 12, "BKN"),
        _us("Brooklyn", "America/New_York", "718", "8.875", 7, "BKN"),
        _us("Portland", "America/Los_Angeles", "503", "0", 10, "PDX"),
        _us("Seattle", "America/Los_Angeles", "206", "10.25", 8),
        _us("San Francisco", "America/Los_Angeles", "415", "8.625", 9),
        _us("Los Angeles", "America/Los_Angeles", "213", "9.5", 10),
        _us("Honolulu", "Pacific/Honolulu", "808", "4.712", 5),
        _us("Chicago", "America/Chicago", "312", "10.25", 6),
        _us("Austin", "America/Chicago", "512", "8.25", 5),
        _us("Denver", "America/Denver", "303", "8.81", 4),
        _us("Boston", "America/New_York", "617", "6.25", 5),
        _us("Phoenix", "America/Phoenix", "602", "8.6", 3),
        _us("Atlanta", "America/New_York", "404", "8.9", 3),
        _us("Minneapolis", "America/Chicago", "612", "8.025", 3),
    ),
    "JP": (
        City("東京", "JP", "Asia/Tokyo", 30, "TYO"),
        City("横浜", "JP", "Asia/Tokyo", 10, "TYO"),
        City("大阪", "JP", "Asia/Tokyo", 12, "KYO"),
        City("京都", "JP", "Asia/Tokyo", 8, "KYO"),
        City("名古屋", "JP", "Asia/Tokyo", 6),
        City("福岡", "JP", "Asia/Tokyo", 5),
        City("札幌", "JP", "Asia/Tokyo", 5),
        City("神戸", "JP", "Asia/Tokyo", 4, "KYO"),
        City("仙台", "JP", "Asia/Tokyo", 3),
    ),
    "KR": (
        City("서울", "KR", "Asia/Seoul", 45, "SEL"),
        City("부산", "KR", "Asia/Seoul", 12),
        City("인천", "KR", "Asia/Seoul", 8, "SEL"),
        City("대구", "KR", "Asia/Seoul", 6),
        City("대전", "KR", "Asia/Seoul", 5),
        City("광주", "KR", "Asia/Seoul", 4),
        City("수원", "KR", "Asia/Seoul", 6, "SEL"),
        City("제주", "KR", "Asia/Seoul", 3),
    ),
}
MOBILE_PREFIXES = {"JP": ("90", "80", "70"), "KR": ("10",)}
COUNTRY_CODES = {"US": "1", "JP": "81", "KR": "82"}
FAKER_LOCALES = {"en": "en_US", "ja": "ja_JP", "ko": "ko_KR"}
HOME_MARKET = {"en": "US", "ja": "JP", "ko": "KR"}

ITEM_REFUND_REASONS = {
    "online": ("Damaged in transit", "Changed my mind", "Wrong item sent", "Quality issue"),
    "store": ("Changed my mind", "Quality issue", "Defective item"),
}
AMOUNT_REFUND_REASONS = {
    "online": ("Late delivery credit", "Price adjustment", "Goodwill gesture"),
    "store": ("Price adjustment", "Goodwill gesture"),
}
SHIPPING_REFUND_REASON = "Shipping refund"

# Korean surnames as their bearers usually spell them in Latin letters.
KOREAN_SURNAMES = {
    "김": "kim", "이": "lee", "박": "park", "최": "choi", "강": "kang", "윤": "yoon",
    "장": "jang", "한": "han", "오": "oh", "서": "seo", "권": "kwon", "황": "hwang",
    "안": "ahn", "송": "song", "류": "ryu", "홍": "hong", "고": "ko", "문": "moon",
    "양": "yang", "손": "son", "배": "bae", "조": "cho", "백": "baek", "허": "heo",
    "남": "nam", "심": "shim", "노": "noh", "정": "jung", "하": "ha", "곽": "kwak",
    "성": "sung", "차": "cha", "주": "joo", "우": "woo", "구": "koo", "신": "shin",
    "임": "lim", "전": "jeon", "나": "na", "민": "min", "유": "yoo", "진": "jin",
    "지": "ji", "엄": "eom",
}  # fmt: skip

REVIEW_TITLES: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {
        5: (
            "My new daily cup",
            "Wonderful aroma, smooth finish",
            "Perfect gift, beautifully packed",
        ),
        4: ("Very good, a little pricey", "Lovely, will buy again"),
        3: ("Fine, not my favorite", "Okay for everyday"),
        2: ("Flavor was flat", "Arrived later than promised"),
        1: ("Arrived damaged", "Disappointed with the quality"),
    },
    "ja": {
        5: ("毎日飲みたい美味しさです", "香りがとても良いです", "贈り物に最適でした"),
        4: ("美味しいけれど少し高め", "また買いたいです"),
        3: ("普通でした", "日常使いには十分"),
        2: ("期待したほどではなかった", "届くのが遅かった"),
        1: ("破損して届きました", "品質が残念でした"),
    },
    "ko": {
        5: ("향이 정말 좋아요", "매일 마시고 싶은 맛이에요", "선물용으로 최고예요"),
        4: ("맛있지만 조금 비싸요", "재구매 의사 있어요"),
        3: ("무난해요", "평범했어요"),
        2: ("기대보다 별로였어요", "배송이 늦었어요"),
        1: ("파손된 채로 왔어요", "품질이 실망스러워요"),
    },
}
RATINGS = ((5, 50), (4, 28), (3, 10), (2, 7), (1, 5))
# Newsletter campaigns by month of the year.
CAMPAIGNS = {
    1: "new-year-fukubukuro",
    2: "winter-warmers",
    3: "spring-first-flush",
    4: "spring-first-flush",
    5: "mothers-day-gifts",
    6: "cold-brew-season",
    7: "cold-brew-season",
    8: "summer-iced-matcha",
    9: "autumn-harvest",
    10: "autumn-harvest",
    11: "holiday-preview",
    12: "holiday-gifts",
}
APP_VERSIONS = ("3.8.2", "3.9.0", "3.9.4", "4.0.1", "4.1.0", "4.2.3")
