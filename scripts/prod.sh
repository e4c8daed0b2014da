#!/usr/bin/env bash
# The production processes on one machine (make prod): gunicorn, task workers on Redis, the
# outbox dispatcher and the scheduler, against DATABASE_URL (PostgreSQL) and KIZUNA_REDIS_URL.
# The first to stop stops them all; SIGTERM or Ctrl-C stops them all. docs/production.md runs
# each tier on machines of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PY:-.venv/bin/python}"

[[ "${DATABASE_URL:-}" == postgres* ]] || { echo "DATABASE_URL must be a postgres:// URL" >&2; exit 2; }
[[ -n "${KIZUNA_REDIS_URL:-}" ]] || { echo "KIZUNA_REDIS_URL is required (redis://host:6379/0)" >&2; exit 2; }
export KIZUNA_TASKS_BACKEND="${KIZUNA_TASKS_BACKEND:-redis}"
export KIZUNA_CACHE_URL="${KIZUNA_CACHE_URL:-$KIZUNA_REDIS_URL}"
export KIZUNA_LOG_FORMAT="${KIZUNA_LOG_FORMAT:-json}"
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/kizuna-metrics-$$}"
task_workers="${KIZUNA_TASK_WORKERS:-2}"

if [[ "${KIZUNA_MIGRATE:-1}" == 1 ]]; then
  "$py" manage.py migrate --no-input -v 0
  "$py" manage.py collectstatic --no-input -v 0
fi

pids=()
stop() { trap - EXIT INT TERM; kill -TERM "${pids[@]}" 2>/dev/null || true; wait || true; }
trap stop EXIT INT TERM

for i in $(seq 1 "$task_workers"); do
  "$py" manage.py task_worker --name "$(hostname).task-$i.$$" & pids+=($!)
done
"$py" manage.py dispatch_outbox --follow & pids+=($!)
"$py" manage.py scheduler & pids+=($!)
"$py" -m gunicorn config.wsgi -c config/gunicorn.conf.py & pids+=($!)
echo "Kizuna serving on ${KIZUNA_BIND:-127.0.0.1:8000} with $task_workers task worker(s), the dispatcher and the scheduler" >&2
wait -n "${pids[@]}"
