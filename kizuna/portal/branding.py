"""The workspace's branding on the pages respondents see: its logo and its primary colour
(kept on the workspace: kizuna.core.models.Workspace.brand_*). The text on the primary
colour is white or near-black, whichever contrasts more (WCAG 2 contrast ratio), so a
light brand colour still leaves button texts readable; a colour with which neither reaches
4.5:1 is darkened until white does."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from kizuna.core.models import Workspace

DEFAULT_COLOR = "#1F4E8C"
DARK_TEXT = "#111111"
LIGHT_TEXT = "#FFFFFF"
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text


@dataclass
class Branding:
    name: str
    logo_url: str
    color: str
    on_color: str

    @property
    def logo_origin(self) -> str:
        """The logo's origin (scheme and host), allowed as an image source by the CSP."""
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(color: str) -> str:
    return LIGHT_TEXT if contrast(color, LIGHT_TEXT) >= contrast(color, DARK_TEXT) else DARK_TEXT


def readable(color: str) -> str:
    """The colour, darkened just enough that white text on it reaches 4.5:1 when neither
    white nor dark text does (a mid grey, a mid green)."""
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    while max(contrast(color, LIGHT_TEXT), contrast(color, DARK_TEXT)) < MIN_CONTRAST:
        channels = [int(c * 0.9) for c in channels]
        color = "#" + "".join(f"{c:02X}" for c in channels)
    return color


def branding_of(workspace: Workspace) -> Branding:
    color = readable((workspace.brand_color or DEFAULT_COLOR).upper())
    return Branding(
        name=workspace.name,
        logo_url=workspace.brand_logo_url,
        color=color,
        on_color=text_on(color),
    )
