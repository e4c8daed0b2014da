import json
import logging

from kizuna.core.logging import JsonFormatter, RequestIdFilter, request_id_var


def test_a_json_log_line_carries_the_request_id_and_the_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "kizuna.request", "levelname": "INFO", "msg": "POST %s", "args": ("/x",)}
    )
    record.__dict__["status"] = 201
    token = request_id_var.set("req-12345678")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "POST /x" and line["request_id"] == "req-12345678"
    assert line["level"] == "INFO" and line["logger"] == "kizuna.request"
    assert line["status"] == 201 and line["time"].endswith("+00:00")
