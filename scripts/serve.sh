#!/usr/bin/env bash
# Serve the web app and run a background-task worker beside it; stopping one stops both.
set -euo pipefail
py="$1"; host="$2"; port="$3"
"$py" manage.py db_worker --no-reload --no-startup-delay -v 0 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
"$py" manage.py runserver "$host:$port" --noreload
