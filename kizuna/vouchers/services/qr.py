"""QR codes of voucher codes, drawn with segno: PNG or SVG, the code as the QR's text."""

import io

import segno

MIN_SCALE, MAX_SCALE, DEFAULT_SCALE = 1, 40, 8
DEFAULT_BORDER = 4


def qr_png(code: str, *, scale: int = DEFAULT_SCALE, border: int = DEFAULT_BORDER) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_svg(code: str, *, scale: int = DEFAULT_SCALE, border: int = DEFAULT_BORDER) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(
        out, kind="svg", scale=scale, border=border, title=code
    )
    return out.getvalue()
