"""The request id travels in a context variable so every log line can carry it."""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("kizuna_request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
