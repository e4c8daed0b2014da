"""Customer writes that really overlap: threads, each with its own client and database
connection, released together by a barrier. PostgreSQL only: SQLite runs one writer at a
time, so nothing would overlap."""

import json
from typing import Any

from conftest import POSTGRES_ONLY, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.customers.models import AttributeDefinition, Customer

pytestmark = POSTGRES_ONLY

ROUNDS = 5


def put_together(key: str, requests: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """PUT each (path, body) at the same moment."""
    return send_together(key, [("PUT", path, body) for path, body in requests])


def test_new_attributes_listed_in_opposite_orders_do_not_deadlock(
    workspace: NewWorkspace,
) -> None:
    for round_ in range(ROUNDS):
        keys = [f"r{round_}_k{i:02d}" for i in range(30)]
        forward = {key: i for i, key in enumerate(keys)}
        backward = {key: i for i, key in reversed(list(enumerate(keys)))}
        assert list(backward) == keys[::-1]

        responses = put_together(
            workspace.server_key,
            [
                (f"/customers/fwd-{round_}", {"attributes": forward}),
                (f"/customers/bwd-{round_}", {"attributes": backward}),
            ],
        )

        assert [r.status_code for r in responses] == [201, 201], [
            r.content[:300] for r in responses
        ]
        for external_id in (f"fwd-{round_}", f"bwd-{round_}"):
            assert Customer.objects.get(external_id=external_id).attributes == forward
        definitions = AttributeDefinition.objects.filter(key__in=keys)
        assert sorted(definitions.values_list("key", "type")) == [(k, "number") for k in keys]


def test_one_new_attribute_written_at_once_with_two_types_keeps_one_type(
    workspace: NewWorkspace,
) -> None:
    for round_ in range(ROUNDS):
        key = f"kind_{round_}"
        responses = put_together(
            workspace.server_key,
            [
                (f"/customers/num-{round_}", {"attributes": {key: 1, "a": "x"}}),
                (f"/customers/str-{round_}", {"attributes": {"a": "y", key: "one"}}),
            ],
        )

        declared = AttributeDefinition.objects.get(key=key).type
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 422], [r.content[:300] for r in responses]
        refused = next(r for r in responses if r.status_code == 422)
        assert json.loads(refused.content)["code"] == "attribute_type_mismatch"
        assert json.loads(refused.content)["field"] == f"attributes.{key}"
        kept = f"num-{round_}" if declared == "number" else f"str-{round_}"
        assert Customer.objects.filter(external_id__endswith=f"-{round_}").get().external_id == (
            kept
        )
