"""What the API layer adds to the generated OpenAPI document: the `Idempotency-Key` header on
each POST, `Retry-After` on each 429, and the links from an operation that creates an object
to the operations that use it (clients and schemathesis's stateful tests follow them)."""

from typing import Any

from django.conf import settings

from kizuna.core.idempotency import MAX_KEY_LENGTH

# What `kizuna.core.idempotency.check_key` accepts of a header's Latin-1 characters:
# printable ones, without the comma that joins two headers into one.
IDEMPOTENCY_KEY_PATTERN = r"^[\u0020-\u002b\u002d-\u007e\u00a1-\u00ac\u00ae-\u00ff]+$"
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}

_CUSTOMER_FROM_BODY = {"customer_id": "$response.body#/external_id"}
_CUSTOMER_USES = [
    "get_customer",
    "patch_customer",
    "upsert_customer",
    "customer_timeline",
    "customer_data_export",
    "erase_customer",
    "list_orders",
]
# (operation that answers with an object, operations that take it, {parameter: expression}).
# Operations are named by their handler's name (the end of their operationId).
LINKS: list[tuple[str, list[str], dict[str, str]]] = [
    ("create_customer", _CUSTOMER_USES, _CUSTOMER_FROM_BODY),
    ("upsert_customer", _CUSTOMER_USES, _CUSTOMER_FROM_BODY),
    ("import_customers", ["get_customer_import"], {"import_id": "$response.body#/id"}),
    (
        "create_order",
        ["get_order", "change_order_status", "refund_order"],
        {"external_id": "$response.body#/external_id"},
    ),
    ("create_order", ["get_customer"], {"customer_id": "$response.body#/customer_id"}),
    ("create_event", ["get_customer"], {"customer_id": "$response.body#/customer_id"}),
    (
        "create_survey",
        [
            "get_survey",
            "update_survey",
            "list_versions",
            "publish_survey",
            "pause_survey",
            "close_survey",
        ],
        {"survey_id": "$response.body#/id"},
    ),
    (
        "rewards_create_reward",
        ["rewards_get_reward", "rewards_update_reward"],
        {"reward_id": "$response.body#/id"},
    ),
    (
        "claims_claim_reward",
        ["claims_get_claim", "claims_change_fulfilment"],
        {"claim_id": "$response.body#/claim_id"},
    ),
    *[
        (
            source,
            [
                "checkout_get_redemption",
                "checkout_confirm_redemption",
                "checkout_rollback_redemption",
            ],
            {"redemption_id": "$response.body#/id"},
        )
        for source in ("checkout_create_redemption", "checkout_scan_code")
    ],
]


def idempotency_key_parameter() -> dict[str, Any]:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "A retry with the same key and body returns the stored response (with "
            "`Idempotent-Replayed: true`); the same key with another body gets 422 "
            "`idempotency_key_reused`; a retry while the first is still running gets 409 "
            "`request_in_progress`. Keys are per workspace and kept for "
            f"{settings.KIZUNA_IDEMPOTENCY_TTL_HOURS} hours."
        ),
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_LENGTH,
            "pattern": IDEMPOTENCY_KEY_PATTERN,
        },
    }


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    by_name: dict[str, dict[str, Any]] = {}
    for operations in schema["paths"].values():
        post = operations.get("post")
        if post is not None:
            parameters = post.setdefault("parameters", [])
            if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                parameters.append(idempotency_key_parameter())
        for operation in operations.values():
            responses = operation.get("responses", {})
            limited = responses.get(429, responses.get("429"))
            if limited is not None:
                limited["headers"] = RETRY_AFTER
            by_name[operation["operationId"].rsplit("_api_", 1)[-1]] = operation
    for source, targets, parameters in LINKS:
        if source not in by_name:
            continue
        for status, response in by_name[source]["responses"].items():
            if not str(status).startswith("2"):
                continue
            links = response.setdefault("links", {})
            for target in targets:
                if target in by_name:
                    links[target] = {
                        "operationId": by_name[target]["operationId"],
                        "parameters": parameters,
                    }
    return schema
