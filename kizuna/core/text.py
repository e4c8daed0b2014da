"""Text rules every input path shares."""

import re

# What no text column can store: NUL (PostgreSQL refuses it), and lone halves of a surrogate
# pair (not encodable as UTF-8).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")

# A calendar date as written in JSON, CSV and attribute values: YYYY-MM-DD with ASCII digits.
# Used with fullmatch; whether the date exists is checked by parsing it.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
