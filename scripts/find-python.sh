#!/usr/bin/env bash
# Print the path of a Python 3.12 or 3.13 interpreter (Django 6 needs 3.12+), or fail.
set -euo pipefail
for candidate in "${KIZUNA_PYTHON:-}" python3.12 python3.13 python3; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
for root in "${PYENV_ROOT:-$HOME/.pyenv}/versions" /usr/local/bin /opt/python; do
  for path in "$root"/3.12*/bin/python3 "$root"/3.13*/bin/python3 "$root"/python3.12; do
    if [ -x "$path" ]; then echo "$path"; exit 0; fi
  done
done
echo "No Python 3.12 found. Install it (pyenv install 3.12, or apt-get install python3.12)" \
     "or set KIZUNA_PYTHON=/path/to/python3.12." >&2
exit 1
