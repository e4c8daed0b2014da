# Kizuna's image: one image for every process (web, task workers, dispatcher, scheduler); the
# command chooses. docs/production.md. Not built in this repository's CI (no container engine
# there); the same commands run without containers in `make prod` and its smoke test.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    KIZUNA_ENV=production KIZUNA_LOG_FORMAT=json KIZUNA_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/kizuna-metrics

WORKDIR /srv/kizuna
RUN useradd --system --home /srv/kizuna kizuna
COPY pyproject.toml README.md ./
COPY config ./config
COPY kizuna ./kizuna
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && KIZUNA_SECRET_KEY=collectstatic-only-$(python -c 'print("x"*50)') \
       KIZUNA_ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input -v 0

USER kizuna
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"]
