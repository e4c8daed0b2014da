"""`/s/{token}/qr.svg` and `/qr.png`: a QR code of the link's URL (segno), to print in a
store or on a receipt. Scanned, it opens the hosted page with `?via=qr`, so the display is
recorded on the `qr` channel."""

import io

import segno
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from kizuna.core.clock import now
from kizuna.core.errors import KizunaError
from kizuna.portal.links import link_url, resolve_target
from kizuna.portal.views.pages import problem_page

SCALE = 8
BORDER = 4


def _qr(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    try:
        target = resolve_target(token, now())
    except KizunaError as error:
        return problem_page(request, error, language="en")
    url = f"{link_url(target)}?via=qr"
    out = io.BytesIO()
    code = segno.make(url, error="m", micro=False)
    if kind == "svg":
        code.save(out, kind="svg", scale=SCALE, border=BORDER, title=url)
        content_type = "image/svg+xml"
    else:
        code.save(out, kind="png", scale=SCALE, border=BORDER)
        content_type = "image/png"
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def qr_svg(request: HttpRequest, token: str) -> HttpResponse:
    return _qr(request, token, "svg")


@require_GET
def qr_png(request: HttpRequest, token: str) -> HttpResponse:
    return _qr(request, token, "png")
