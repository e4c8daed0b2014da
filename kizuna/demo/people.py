"""The demo's people: English, Japanese and Korean customers with their profiles, typed
attributes and consent histories."""

import random
import re
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from kizuna.demo import catalog
from kizuna.demo.calendar import (
    HISTORY_BEFORE_WINDOW,
    ONLINE_HOURS,
    ORDER_WINDOW,
    Calendar,
    clamp,
    local_moment,
    pick,
    uniform_moment,
)
from kizuna.demo.catalog import City
from kizuna.demo.plans import ConsentStep, CustomerPlan

GRANTED, DENIED, CONSENT_PENDING = "granted", "denied", "pending"

_NOT_HANDLE = re.compile(r"[^a-z0-9.]")


# Revised Romanization of Korean, letter by letter (no sound-change rules): enough for handles.
_INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()  # noqa: SIM905
_MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()  # noqa: SIM905
_FINALS = "- k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()  # noqa: SIM905


def romanize_korean(text: str) -> str:
    out = []
    for char in text:
        code = ord(char) - 0xAC00
        if not 0 <= code < 11172:
            out.append(char)
            continue
        initial, medial, final = code // 588, code % 588 // 28, code % 28
        out += [_INITIALS[initial], _MEDIALS[medial], _FINALS[final]]
    return "".join(part for part in out if part != "-")


def _handle(rng: random.Random, first: str, last: str) -> str:
    first, last = first.lower(), last.lower()
    style = rng.randrange(4)
    if style == 0:
        handle = f"{first}.{last}"
    elif style == 1:
        handle = f"{first[:1]}{last}"
    elif style == 2:
        handle = f"{first}{last[:1]}"
    else:
        handle = f"{last}.{first}"
    return _NOT_HANDLE.sub("", handle).strip(".") or "tea"


def _email(rng: random.Random, handle: str, taken: set[str]) -> str:
    if rng.random() < 0.45:
        handle += str(rng.randint(1, 99))
    domain = pick(rng, catalog.EMAIL_DOMAINS)
    email = f"{handle}@{domain}".lower()
    while email in taken:
        email = f"{handle}{rng.randint(100, 9999)}@{domain}".lower()
    taken.add(email)
    return email


def _phone(rng: random.Random, market: str, city: City, taken: set[str]) -> str:
    while True:
        if market == "US":
            # 555 numbers are reserved for examples and fiction.
            number = f"+1{city.area_code}555{rng.randrange(10000):04d}"
        else:
            prefix = rng.choice(catalog.MOBILE_PREFIXES[market])
            subscriber = rng.randint(10_000_000, 99_999_999)
            number = f"+{catalog.COUNTRY_CODES[market]}{prefix}{subscriber}"
        if number not in taken:
            taken.add(number)
            return number


FAVORITE_TEAS = {
    "US": (("matcha", 30), ("black", 22), ("herbal", 20), ("sencha", 12), ("oolong", 10)),
    "JP": (("sencha", 32), ("hojicha", 22), ("matcha", 22), ("black", 10), ("oolong", 8)),
    "KR": (("herbal", 26), ("sencha", 24), ("matcha", 18), ("oolong", 14), ("black", 12)),
}  # fmt: skip
LANGUAGES = (("en", 45), ("ja", 33), ("ko", 22))
HOUSEHOLD = ((1, 28), (2, 34), (3, 16), (4, 15), (5, 7))


def plan_profile(
    rng: random.Random,
    number: int,
    fakers: dict[str, Faker],
    calendar: Calendar,
    emails: set[str],
    phones: set[str],
) -> CustomerPlan:
    anchor = calendar.anchor
    lang = pick(rng, LANGUAGES)
    roll = rng.random()
    if lang == "en":
        market = "JP" if roll < 0.03 else "KR" if roll < 0.05 else "US"
    else:
        market = "US" if roll < (0.08 if lang == "ja" else 0.10) else catalog.HOME_MARKET[lang]
    fake = fakers[lang]
    fake.seed_instance(rng.getrandbits(64))
    female = rng.random() < 0.56
    if lang == "ja":
        pair = fake.first_name_female_pair() if female else fake.first_name_male_pair()
        first, first_latin = pair[0], pair[2]
        last, _, last_latin = fake.last_name_pair()
        handle = _handle(rng, first_latin, last_latin)
    elif lang == "ko":
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        last_latin = catalog.KOREAN_SURNAMES.get(last) or romanize_korean(last)
        handle = _handle(rng, romanize_korean(first), last_latin)
    else:
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        handle = _handle(rng, first, last)

    cities = catalog.CITIES[market]
    city = rng.choices(cities, [c.weight for c in cities])[0]
    if market != "US" and catalog.HOME_MARKET[lang] == market and rng.random() < 0.12:
        city = City(fake.city(), market, city.timezone, 1)  # a smaller town, no shop nearby

    email = _email(rng, handle, emails) if rng.random() < 0.93 else ""
    phone = _phone(rng, market, city, phones) if rng.random() < 0.72 else ""
    birthdate = None
    if rng.random() < 0.68:
        age_days = int(rng.triangular(18, 80, 36) * 365.25)
        birthdate = anchor.date() - timedelta(days=age_days)

    if rng.random() < 0.55:
        created_at = anchor - ORDER_WINDOW - rng.random() * HISTORY_BEFORE_WINDOW
        created_at = created_at.replace(microsecond=0)
    else:
        created_at = local_moment(rng, calendar.pick_day(rng, 0), ONLINE_HOURS, city.timezone)
        created_at = clamp(created_at, calendar.start, anchor - timedelta(minutes=30))
    updated_at = uniform_moment(rng, created_at, anchor) if rng.random() < 0.25 else created_at

    app_user = rng.random() < {"US": 0.40, "JP": 0.45, "KR": 0.55}[market]
    ios_share = {"US": 0.55, "JP": 0.65, "KR": 0.30}[market]
    platform = "ios" if rng.random() < ios_share else "android"
    tea_club = rng.random() < 0.18
    favorite = pick(rng, FAVORITE_TEAS[market]) if rng.random() < 0.75 else None
    attributes: dict[str, Any] = {"city": city.name}
    if favorite:
        attributes["favorite_tea"] = favorite
    if rng.random() < 0.55:
        attributes["household_size"] = pick(rng, HOUSEHOLD)
    attributes["tea_club_member"] = tea_club
    if tea_club:
        attributes["tea_club_since"] = uniform_moment(rng, created_at, anchor).date().isoformat()
    attributes["app_user"] = app_user

    return CustomerPlan(
        number=number,
        lang=lang,
        market=market,
        city=city,
        store=city.store,
        app_user=app_user,
        platform=platform,
        tea_club=tea_club,
        favorite_tea=favorite,
        email=email,
        phone=phone,
        first_name=first,
        last_name=last,
        birthdate=birthdate,
        attributes=attributes,
        created_at=created_at,
        updated_at=updated_at,
    )


# The custom attributes and their types, as the first write would declare them.
ATTRIBUTE_TYPES = {
    "city": "string",
    "favorite_tea": "string",
    "household_size": "number",
    "tea_club_member": "boolean",
    "tea_club_since": "date",
    "app_user": "boolean",
}


# ------------------------------------------------------------------ consent


def plan_consents(rng: random.Random, customer: CustomerPlan, anchor: datetime) -> None:
    signup_source = "pos" if customer.store and rng.random() < 0.4 else "signup"
    channels: list[tuple[str, tuple[tuple[str, int], ...], str]] = []
    if customer.email:
        channels.append(
            ("email_marketing", ((GRANTED, 62), (DENIED, 20), (CONSENT_PENDING, 18)), signup_source)
        )
    if customer.phone and rng.random() < 0.75:
        channels.append(("sms_marketing", ((GRANTED, 35), (DENIED, 65)), signup_source))
    if customer.app_user:
        channels.append(("push_marketing", ((GRANTED, 70), (DENIED, 30)), "app"))
    if rng.random() < 0.7:
        channels.append(("surveys", ((GRANTED, 60), (DENIED, 40)), signup_source))
    for channel, choices, source in channels:
        moment = customer.created_at + timedelta(seconds=rng.randint(0, 90))
        status = pick(rng, choices)
        steps = [ConsentStep(channel, status, None, source, moment)]
        if status == CONSENT_PENDING and rng.random() < 0.8:
            # Double opt-in: the customer clicks the confirmation link.
            moment += timedelta(minutes=rng.randint(2, 2880))
            steps.append(ConsentStep(channel, GRANTED, status, "double_opt_in", moment))
            status = GRANTED
        if rng.random() < 0.14:
            later = uniform_moment(rng, moment, anchor)
            new = DENIED if status == GRANTED else GRANTED
            source = (
                "unsubscribe_link"
                if new == DENIED and channel == "email_marketing"
                else ("preference_center")
            )
            steps.append(ConsentStep(channel, new, status, source, later))
        customer.consents += [s for s in steps if s.occurred_at <= anchor]


def granted_since(customer: CustomerPlan, channel: str) -> datetime | None:
    """When the customer's current grant on a channel began (None: not granted now)."""
    steps = [s for s in customer.consents if s.channel == channel]
    if not steps or steps[-1].status != GRANTED:
        return None
    return steps[-1].occurred_at
