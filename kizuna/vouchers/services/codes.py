"""What a code is and how codes are drawn (docs/vouchers.md, Code patterns).

A code is 3 to 64 characters of A-Z, 0-9 and '-', stored normalized: spaces removed and
letters upper-cased, so `hoshi 1234` and `HOSHI1234` are the same code. A campaign's code
spec says how its generated codes look: `prefix` + `length` characters drawn from `charset`
+ `postfix`, or a `pattern` in which `#` is a digit of the charset, `?` a letter of the
charset, `*` any character of the charset, and every other character itself."""

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.vouchers.errors import CodeSpaceTooSmall
from kizuna.vouchers.models import CODE_MAX_LENGTH

# No 0/O, 1/I/L: nothing a customer can misread.
DEFAULT_CHARSET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_LENGTH = 8
CODE_MIN_LENGTH = 3
CODE = re.compile(rf"[A-Z0-9-]{{{CODE_MIN_LENGTH},{CODE_MAX_LENGTH}}}")
AFFIX = re.compile(r"[A-Z0-9-]{0,32}")
_SPACES = re.compile(r"\s+")
_CHAR = re.compile(r"[A-Za-z0-9-]")
PLACEHOLDERS = {"#": "digit", "?": "letter", "*": "character"}
# A campaign's code space must hold this many times the codes it is asked for: random draws
# then rarely collide, and a guessed code rarely exists.
SPACE_FACTOR = 10
SPEC_FIELDS = frozenset({"prefix", "postfix", "charset", "length", "pattern"})


def normalize(value: str) -> str:
    """The stored form of a code: no spaces, upper case."""
    return _SPACES.sub("", value).upper()


def check_code(value: Any, field: str = "code") -> str:
    """A code as given (normalized), or 422 `invalid_code` naming what is wrong with it."""
    if not isinstance(value, str):
        raise ValidationFailed("A code is a string.", code="invalid_code", field=field)
    code = normalize(value)
    # Checked before upper-casing: "ß" would become "SS", a code it does not spell.
    bad = sorted({char for char in _SPACES.sub("", value) if not _CHAR.fullmatch(char)})
    if bad:
        raise ValidationFailed(
            f"The code has characters codes cannot hold: {''.join(bad)!r} (codes are A-Z, "
            "0-9 and '-').",
            code="invalid_characters",
            field=field,
        )
    if not CODE.fullmatch(code):
        raise ValidationFailed(
            f"A code is {CODE_MIN_LENGTH} to {CODE_MAX_LENGTH} characters long.",
            code="invalid_code",
            field=field,
        )
    return code


def is_code(value: str) -> bool:
    return value.isascii() and bool(CODE.fullmatch(normalize(value)))


@dataclass(frozen=True)
class CodeSpec:
    """A campaign's checked code spec: the alphabets of each position of a code."""

    prefix: str
    postfix: str
    charset: str
    length: int | None
    pattern: str | None

    def positions(self) -> list[str]:
        """The characters each drawn position may take (literals are positions of one)."""
        digits = "".join(c for c in self.charset if c.isdigit())
        letters = "".join(c for c in self.charset if c.isalpha())
        if self.pattern is None:
            return [self.charset] * (self.length or DEFAULT_LENGTH)
        alphabets = {"#": digits, "?": letters, "*": self.charset}
        return [alphabets.get(char, char) for char in self.pattern]

    def space(self) -> int:
        """How many distinct codes the spec can make."""
        total = 1
        for alphabet in self.positions():
            total *= len(alphabet)
        return total

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prefix": self.prefix, "postfix": self.postfix}
        out["charset"] = self.charset
        if self.pattern is not None:
            out["pattern"] = self.pattern
        else:
            out["length"] = self.length or DEFAULT_LENGTH
        return out


def _bad(message: str, field: str, code: str = "invalid_code_spec") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def check_spec(value: Any, field: str = "code") -> CodeSpec:
    """A campaign's `code` object, checked: every fault names its path (`code.pattern`)."""
    value = {} if value is None else value
    if not isinstance(value, Mapping):
        raise _bad("code is an object: {prefix, postfix, charset, length, pattern}.", field)
    unknown = sorted(set(value) - SPEC_FIELDS)
    if unknown:
        raise _bad(f"Unknown field {unknown[0]!r}.", f"{field}.{unknown[0]}")
    affixes = {}
    for name in ("prefix", "postfix"):
        text = value.get(name) or ""
        if not isinstance(text, str) or not text.isascii() or not AFFIX.fullmatch(normalize(text)):
            raise _bad(f"{name} is up to 32 of A-Z, 0-9 and '-'.", f"{field}.{name}")
        affixes[name] = normalize(text)
    charset = value.get("charset") or DEFAULT_CHARSET
    if not isinstance(charset, str) or not re.fullmatch(r"[A-Za-z0-9]+", charset):
        raise _bad("charset is letters and digits (A-Z, 0-9).", f"{field}.charset")
    charset = "".join(dict.fromkeys(charset.upper()))
    if len(charset) < 2:
        raise _bad("charset has at least two distinct characters.", f"{field}.charset")
    pattern, length = value.get("pattern"), value.get("length")
    if pattern is not None and length is not None:
        raise _bad("Give a pattern or a length, not both.", f"{field}.length")
    if length is not None and (
        isinstance(length, bool) or not isinstance(length, int) or not 4 <= length <= 32
    ):
        raise _bad("length is a whole number from 4 to 32.", f"{field}.length")
    if pattern is not None:
        pattern = _check_pattern(pattern, charset, f"{field}.pattern")
    spec = CodeSpec(affixes["prefix"], affixes["postfix"], charset, length, pattern)
    drawn = sum(1 for alphabet in spec.positions() if len(alphabet) > 1)
    if drawn < 4:
        raise _bad("A code draws at least 4 characters (#, ? or *).", f"{field}.pattern")
    if len(spec.prefix) + len(spec.positions()) + len(spec.postfix) > CODE_MAX_LENGTH:
        raise _bad(f"Codes are at most {CODE_MAX_LENGTH} characters long.", field)
    return spec


def _check_pattern(value: Any, charset: str, field: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9#?*-]{4,64}", value):
        raise _bad(
            "A pattern is 4 to 64 of A-Z, 0-9, '-' and the placeholders # (digit), ? (letter) "
            "and * (any character of the charset).",
            field,
        )
    if "#" in value and not any(c.isdigit() for c in charset):
        raise _bad("The pattern has # but the charset has no digit.", field)
    if "?" in value and not any(c.isalpha() for c in charset):
        raise _bad("The pattern has ? but the charset has no letter.", field)
    return value.upper()


def check_space(spec: CodeSpec, wanted: int, field: str = "count") -> None:
    """Refuse to generate `wanted` codes (in all, with those made before) from a spec whose
    space is under SPACE_FACTOR times that (422 `code_space_too_small`)."""
    space = spec.space()
    if space < wanted * SPACE_FACTOR:
        raise CodeSpaceTooSmall(
            f"The campaign's codes can take {space:,} values; {wanted:,} codes need at least "
            f"{wanted * SPACE_FACTOR:,} ({SPACE_FACTOR} times as many) so that codes stay hard "
            "to guess. Use a longer length or pattern.",
            field=field,
        )


def _column(alphabet: str, count: int) -> list[str]:
    """`count` characters of `alphabet`, each uniformly at random: random bytes from
    `secrets`, those past the last whole multiple of the alphabet's size dropped (so that no
    character is likelier than another), the rest taken modulo the size."""
    size = len(alphabet)
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < count:
        wanted = count - len(out)
        out.extend(
            alphabet[byte % size]
            for byte in secrets.token_bytes(wanted + wanted // 4 + 8)
            if byte < limit
        )
    del out[count:]
    return out


def draw(spec: CodeSpec, count: int) -> set[str]:
    """`count` distinct random codes of the spec, drawn in memory: one run of random bytes
    per position of the code, rather than one call to the random source per character."""
    prefix, postfix = spec.prefix, spec.postfix
    out: set[str] = set()
    while len(out) < count:
        wanted = count - len(out)
        columns = [
            repeat(alphabet, wanted) if len(alphabet) == 1 else _column(alphabet, wanted)
            for alphabet in spec.positions()
        ]
        out.update(prefix + "".join(chars) + postfix for chars in zip(*columns, strict=True))
    return out


GIFT_CARD_SPEC = CodeSpec("", "", DEFAULT_CHARSET, None, "****-****-****-****")
