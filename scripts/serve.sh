#!/usr/bin/env bash
# Serve the web app with the background workers beside it: the task worker (customer
# imports) and the outbox dispatcher (event subscribers). Stopping one stops them all.
set -euo pipefail
py="$1"; host="$2"; port="$3"
"$py" manage.py db_worker --no-reload --no-startup-delay -v 0 &
worker=$!
"$py" manage.py dispatch_outbox --follow --idle-seconds 2 >/dev/null &
dispatcher=$!
trap 'kill "$worker" "$dispatcher" 2>/dev/null || true' EXIT INT TERM
"$py" manage.py runserver "$host:$port" --noreload
