"""`/widget-demo?key=pk_...&survey=...`: a page that embeds the widget as a customer's site
would, to try it and to test it (docs/widget.md).

The page is hostile on purpose: a Content-Security-Policy as strict as a careful site's (no
inline script or style, scripts and calls only to Kizuna's origin) and styles that would
break a widget whose styles leak (`* { font-size: 40px !important; color: red }`,
`button { display: none }`). The widget is loaded from KIZUNA_PUBLIC_URL, so that opening the
page on another host name (localhost against 127.0.0.1) makes every call cross-origin, as on
a real site. Only Kizuna's own widget is ever loaded: the page takes no script address.

Without `survey`, the page lists the active surveys of the publishable key's workspace, each a
link to the page with that survey (`make demo` prints the page's address with the key)."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static

from kizuna.accounts.models import ApiKey
from kizuna.accounts.selectors import api_key_for_secret
from kizuna.core.clock import now
from kizuna.feedback.models import Survey, SurveyStatus
from kizuna.feedback.selectors.surveys import status_filter

TRIGGER = re.compile(r"load|manual|delay:\d{1,4}|event:[A-Za-z0-9_.:-]{1,64}")
DEFAULT_TRIGGER = "delay:1"
TRIGGERS = ("load", "delay:3", "event:purchase")


def public_origin() -> str:
    parts = urlsplit(settings.KIZUNA_PUBLIC_URL)
    return f"{parts.scheme}://{parts.netloc}"


def demo_policy(origin: str) -> str:
    """The strict policy of the test page: what a careful site would send."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {origin}",
            "style-src 'self'",
            f"connect-src 'self' {origin}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def active_surveys(key: str) -> list[str]:
    """The active surveys of a publishable key's workspace (never a server key's: a server
    key does not belong in an address)."""
    api_key = api_key_for_secret(key) if key.startswith("pk_") else None
    if api_key is None or api_key.kind != ApiKey.Kind.PUBLISHABLE:
        return []
    active = status_filter(SurveyStatus.ACTIVE, now())
    surveys = Survey.objects.for_workspace(api_key.workspace).filter(active).order_by("key")
    return list(surveys.values_list("key", flat=True)[:50])


def widget_demo(request: HttpRequest) -> HttpResponse:
    trigger = request.GET.get("trigger", DEFAULT_TRIGGER)
    origin = public_origin()
    key = request.GET.get("key", "")
    survey = request.GET.get("survey", "")
    context = {
        "widget_src": origin + static("portal/widget.js"),
        "key": key,
        "survey": survey,
        "surveys": [] if survey else active_surveys(key),
        "triggers": TRIGGERS,
        "customer_id": request.GET.get("customer", ""),
        "lang": request.GET.get("lang", ""),
        "trigger": trigger if TRIGGER.fullmatch(trigger) else DEFAULT_TRIGGER,
    }
    response = render(request, "portal/widget_demo.html", context)
    response["Content-Security-Policy"] = demo_policy(origin)
    return response
