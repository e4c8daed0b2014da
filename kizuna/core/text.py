"""Text rules every input path shares."""

import re

# What no text column can store: NUL (PostgreSQL refuses it), and lone halves of a surrogate
# pair (not encodable as UTF-8).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
