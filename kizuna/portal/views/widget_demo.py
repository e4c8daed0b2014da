"""`/widget-demo?key=pk_...&survey=...`: a page that embeds the widget as a customer's site
would, to try it and to test it (docs/widget.md).

The page is hostile on purpose: a Content-Security-Policy as strict as a careful site's (no
inline script or style, scripts and calls only to Kizuna's origin) and styles that would
break a widget whose styles leak (`* { font-size: 40px !important; color: red }`,
`button { display: none }`). The widget is loaded from KIZUNA_PUBLIC_URL, so that opening the
page on another host name (localhost against 127.0.0.1) makes every call cross-origin, as on
a real site. Only Kizuna's own widget is ever loaded: the page takes no script address."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static

TRIGGER = re.compile(r"load|manual|delay:\d{1,4}|event:[A-Za-z0-9_.:-]{1,64}")
DEFAULT_TRIGGER = "delay:1"


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


def widget_demo(request: HttpRequest) -> HttpResponse:
    trigger = request.GET.get("trigger", DEFAULT_TRIGGER)
    origin = public_origin()
    context = {
        "widget_src": origin + static("portal/widget.js"),
        "key": request.GET.get("key", ""),
        "survey": request.GET.get("survey", ""),
        "customer_id": request.GET.get("customer", ""),
        "lang": request.GET.get("lang", ""),
        "trigger": trigger if TRIGGER.fullmatch(trigger) else DEFAULT_TRIGGER,
    }
    response = render(request, "portal/widget_demo.html", context)
    response["Content-Security-Policy"] = demo_policy(origin)
    return response
