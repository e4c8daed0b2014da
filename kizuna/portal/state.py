"""What the browser keeps of one respondent's visit to one link: a signed cookie, scoped to
the link's path, so that a reload or a later visit goes on where it stopped.

    sid    the submission id of the response (every save with it updates one response)
    d      the display recorded when the visit began (once per visit)
    at     the element the respondent is on ("" before the first; "welcome" not started)
    t      when that element was shown (ms since the epoch): time per element is measured
           between two steps on the server, so it is measured without JavaScript too
    lang   the language chosen with ?lang= (kept for the visit)
    h      hidden fields given in the link's query string

The answers themselves are not in the cookie: they are saved on every step (the response
is the record) and read back from it."""

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "kizuna_survey"
BROWSER_COOKIE = "kizuna_browser"
SALT = "kizuna.portal.state"
MAX_AGE = 60 * 60 * 24 * 30
BROWSER_MAX_AGE = 60 * 60 * 24 * 365 * 2


@dataclass
class VisitState:
    sid: str = field(default_factory=lambda: str(uuid.uuid4()))
    d: str = ""
    at: str = ""
    t: int = 0
    lang: str = ""
    h: dict[str, str] = field(default_factory=dict)
    started: bool = False

    def shown(self, element_id: str) -> None:
        """The respondent is shown this element now."""
        if self.at != element_id or not self.t:
            self.at, self.t = element_id, now_ms()

    def elapsed(self) -> int:
        return max(0, min(now_ms() - self.t, 604_800_000)) if self.t else 0


def now_ms() -> int:
    return int(time.time() * 1000)


def path_of(token: str) -> str:
    return f"/s/{token}"


def load(request: HttpRequest) -> VisitState | None:
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data: dict[str, Any] = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
        return VisitState(**data)
    except (signing.BadSignature, TypeError, ValueError):
        return None


def store(response: HttpResponse, token: str, state: VisitState, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        signing.dumps(asdict(state), salt=SALT, compress=True),
        max_age=MAX_AGE,
        path=path_of(token),
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def browser_token(request: HttpRequest) -> tuple[str, bool]:
    """The browser's token (one finished response per browser and survey), and whether it
    is new (to be set)."""
    token = request.get_signed_cookie(BROWSER_COOKIE, default="", salt=SALT)
    if token and 8 <= len(token) <= 128:
        return token, False
    return uuid.uuid4().hex, True


def store_browser(response: HttpResponse, token: str, *, secure: bool) -> None:
    response.set_signed_cookie(
        BROWSER_COOKIE,
        token,
        salt=SALT,
        max_age=BROWSER_MAX_AGE,
        path="/s/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
