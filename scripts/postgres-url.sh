#!/usr/bin/env bash
# Print a PostgreSQL URL for the test run: $DATABASE_URL when it is PostgreSQL, else the local
# server on 127.0.0.1:5432 when it answers. Prints nothing when none is reachable.
set -uo pipefail
py="$1"
if [[ "${DATABASE_URL:-}" == postgres* ]]; then echo "$DATABASE_URL"; exit 0; fi
url="postgres://postgres@127.0.0.1:5432/postgres"
if "$py" - "$url" <<'PY' 2>/dev/null; then echo "$url"; fi
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
