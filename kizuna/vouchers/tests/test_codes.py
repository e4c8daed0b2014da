"""Codes of a campaign: generated in the background with progress, or imported from a file
with a per-row report; stored normalized and unique per workspace."""

import re
from collections import Counter
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core import tasks as core_tasks
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.vouchers import jobs, tasks
from kizuna.vouchers.models import Campaign, CodeGeneration, Voucher
from kizuna.vouchers.services import codes, generation
from kizuna.vouchers.tests.support import make_campaign, make_customer, state


def test_generation_answers_202_and_runs_in_batches_with_progress(api: ApiClient) -> None:
    make_campaign(api)
    response = api.post("/voucher-campaigns/summer/codes", {"count": 250})
    assert response.status_code == 202, response.data
    run = response.data
    assert (run["type"], run["status"], run["requested"], run["created"], run["percent"]) == (
        "generation",
        "queued",
        250,
        0,
        0,
    )
    assert run["url"] == f"/api/v1/voucher-campaigns/summer/generations/{run['id']}"

    # A worker that stops after the first batch: the run shows where it stands.
    seen: list[tuple[str, int, int]] = []
    original = generation._batch

    def batch_and_look(*args: object) -> int | None:
        stored = original(*args)  # type: ignore[arg-type]
        polled = api.get(run["url"]).data
        seen.append((polled["status"], polled["created"], polled["percent"]))
        return stored

    generation._batch = batch_and_look  # type: ignore[assignment]
    try:
        generation.run_generation(int(run["id"]), batch_size=100)
    finally:
        generation._batch = original

    assert seen == [("running", 100, 40), ("running", 200, 80), ("completed", 250, 100)]
    done = api.get(run["url"]).data
    assert (done["status"], done["created"], done["percent"], done["failure"]) == (
        "completed",
        250,
        100,
        None,
    )
    stored = list(Voucher.objects.values_list("code", flat=True))
    assert len(stored) == len(set(stored)) == 250
    assert all(re.fullmatch(r"HOSHI-[2-9]{4}-[A-HJKMNP-Z]{4}", code) for code in stored)
    assert set(Voucher.objects.values_list("max_uses", "uses", "source")) == {(1, 0, "generated")}
    [event] = OutboxEvent.objects.filter(type="voucher_codes.generated")
    assert event.payload == {"campaign_id": "summer", "generation_id": run["id"], "count": 250}


def test_the_task_generates_and_running_it_again_changes_nothing(api: ApiClient) -> None:
    make_campaign(api, code={"length": 10})
    run_id = int(api.post("/voucher-campaigns/summer/codes", {"count": 40}).data["id"])
    assert tasks.generate_codes.call(run_id) == "completed"
    assert tasks.generate_codes.call(run_id) == "completed"
    assert Voucher.objects.count() == 40


def test_a_run_resumes_from_its_checkpoint(api: ApiClient) -> None:
    make_campaign(api)
    run_id = int(api.post("/voucher-campaigns/summer/codes", {"count": 30}).data["id"])
    campaign = CodeGeneration.objects.get().campaign
    spec = codes.check_spec(campaign.code_spec)
    generation._batch(run_id, campaign, spec, 10)  # the worker died after one batch
    assert CodeGeneration.objects.get().created == 10
    generation.run_generation(run_id, batch_size=7)
    assert (CodeGeneration.objects.get().created, Voucher.objects.count()) == (30, 30)


def test_a_space_too_small_for_the_count_is_refused(api: ApiClient) -> None:
    # 2 characters in 4 places: 16 codes, enough for 1 code (10 x 1) but not for 2.
    make_campaign(api, code={"prefix": "T-", "charset": "AB", "length": 4})
    before = state()
    response = api.post("/voucher-campaigns/summer/codes", {"count": 2})
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == ("code_space_too_small", "count")
    assert state() == before
    assert api.post("/voucher-campaigns/summer/codes", {"count": 1}).status_code == 202
    # The codes queued count too: one more would need 20.
    response = api.post("/voucher-campaigns/summer/codes", {"count": 1})
    assert (response.status_code, response.data["code"]) == (422, "code_space_too_small")


def test_bad_counts_are_refused(api: ApiClient) -> None:
    make_campaign(api)
    before = state()
    for body, code, field in [
        ({"count": 0}, "invalid_count", "count"),
        ({"count": "10"}, "invalid_count", "count"),
        ({"count": 1_000_001}, "invalid_count", "count"),
        ({}, "required", "count"),
        ({"count": 1, "prefix": "X"}, "unknown_field", "prefix"),
    ]:
        response = api.post("/voucher-campaigns/summer/codes", body)
        assert response.status_code == 422, body
        assert (response.data["code"], response.data["field"]) == (code, field), body
    response = api.post("/voucher-campaigns/nope/codes", {"count": 1})
    assert (response.status_code, response.data["code"]) == (404, "voucher_campaign_not_found")
    assert state() == before


def test_the_code_spec_space_and_draws() -> None:
    spec = codes.check_spec({"pattern": "hoshi-####-????", "prefix": "x"})
    assert spec.space() == 8**4 * 23**4
    spec = codes.check_spec({"length": 6, "charset": "AB"})
    assert spec.space() == 2**6
    drawn = codes.draw(codes.check_spec({"pattern": "**##", "charset": "A1B2"}), 16)
    assert len(drawn) == 16 and all(re.fullmatch(r"[AB12]{2}[12]{2}", c) for c in drawn)
    assert codes.normalize(" hoshi 12\tab ") == "HOSHI12AB"


def _upload(api: ApiClient, name: str, content: bytes) -> dict[str, object]:
    response = api.client.post(
        "/api/v1/voucher-campaigns/summer/codes", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 202, response.content
    return dict(response.json())


def test_an_imported_file_is_reported_row_by_row(api: ApiClient, workspace: NewWorkspace) -> None:
    make_customer(api, "cust-1")
    make_campaign(api)
    make_campaign(api, id="other")
    other = Campaign.objects.get(key="other")
    Voucher.objects.create(
        workspace=workspace.workspace, campaign=other, code="TAKEN-1", source="imported"
    )
    csv = (
        b"code,customer_id\n"
        b"vip-0001,\n"  # 2: created (normalized)
        b"VIP 0002,cust-1\n"  # 3: created, tied to cust-1
        b"vip-0001,\n"  # 4: duplicate of row 2 (the same text)
        b"VIP-0001,\n"  # 5: duplicate of row 2 once normalized
        b"vip_0003,\n"  # 6: invalid character
        b"taken-1,\n"  # 7: another campaign's code
        b"VIP-0004,nobody\n"  # 8: unknown customer
        b"ab,\n"  # 9: too short
    )
    run = _upload(api, "codes.csv", csv)
    assert (run["type"], run["status"], run["total_rows"]) == ("import", "queued", 8)
    assert run["url"] == f"/api/v1/voucher-campaigns/summer/imports/{run['id']}"
    assert core_tasks.process_bulk_import.call(int(str(run["id"]))) == "completed"

    report = api.get(str(run["url"])).data
    assert report["counts"] == {"created": 2, "unchanged": 0, "rejected": 6}
    assert report["percent"] == 100
    assert [(e["row"], e["field"], e["code"]) for e in report["errors"]] == [
        (4, "code", "duplicate_code"),
        (5, "code", "duplicate_code"),
        (6, "code", "invalid_characters"),
        (7, "code", "code_exists"),
        (8, "customer_id", "customer_not_found"),
        (9, "code", "invalid_code"),
    ]
    mine = dict(
        Voucher.objects.filter(campaign__key="summer").values_list("code", "customer__external_id")
    )
    assert mine == {"VIP-0001": None, "VIP0002": "cust-1"}

    # The same file again: what it stored is unchanged, the rest refused again.
    again = _upload(api, "codes.csv", csv)
    core_tasks.process_bulk_import.call(int(str(again["id"])))
    assert api.get(str(again["url"])).data["counts"] == {
        "created": 0,
        "unchanged": 2,
        "rejected": 6,
    }
    assert Voucher.objects.count() == 3


def test_a_file_without_a_code_column_is_refused_whole(api: ApiClient) -> None:
    make_campaign(api)
    before = state()
    response = api.client.post(
        "/api/v1/voucher-campaigns/summer/codes",
        {"file": SimpleUploadedFile("codes.csv", b"voucher\nA-1\n")},
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("missing_column", "code")
    assert state() == before


def test_an_import_of_another_campaign_is_not_found(api: ApiClient) -> None:
    make_campaign(api)
    make_campaign(api, id="other")
    run = _upload(api, "codes.csv", b"code\nA-100\n")
    response = api.get(f"/voucher-campaigns/other/imports/{run['id']}")
    assert (response.status_code, response.data["code"]) == (404, "import_not_found")


def test_the_resume_job_finishes_a_stalled_run(api: ApiClient) -> None:
    make_campaign(api)
    run_id = int(api.post("/voucher-campaigns/summer/codes", {"count": 25}).data["id"])
    assert jobs.resume_generations() == "resumed 0 stalled code generation(s)", "not stalled yet"
    CodeGeneration.objects.filter(pk=run_id).update(checkpoint_at=now() - timedelta(minutes=11))
    assert jobs.resume_generations() == "resumed 1 stalled code generation(s)"
    assert (CodeGeneration.objects.get().status, Voucher.objects.count()) == ("completed", 25)


def test_a_retried_request_queues_one_run(api: ApiClient) -> None:
    make_campaign(api)
    first = api.post("/voucher-campaigns/summer/codes", {"count": 5}, **{"Idempotency-Key": "g-1"})
    again = api.post("/voucher-campaigns/summer/codes", {"count": 5}, **{"Idempotency-Key": "g-1"})
    assert (first.status_code, again.content) == (202, first.content)
    assert CodeGeneration.objects.count() == 1


def test_generated_codes_belong_to_the_campaign_customer(api: ApiClient) -> None:
    make_customer(api, "cust-1")
    make_customer(api, "cust-2")
    make_campaign(api, customer_id="cust-1", valid_from=None, valid_until=None)
    run_id = int(api.post("/voucher-campaigns/summer/codes", {"count": 3}).data["id"])
    tasks.generate_codes.call(run_id)
    listed = api.get("/voucher-campaigns/summer/vouchers").data["data"]
    assert [v["customer_id"] for v in listed] == ["cust-1"] * 3
    assert api.patch("/voucher-campaigns/summer", {"customer_id": "cust-2"}).status_code == 200
    code = listed[0]["code"]
    assert api.get(f"/vouchers/{code}").data["customer_id"] == "cust-2"


def test_the_command_line_import_without_a_campaign_rejects_each_row(
    workspace: NewWorkspace,
) -> None:
    import io

    from kizuna.core.imports import runs

    content = b"code\nA-100\nA-200\n"
    run = runs.import_file(
        workspace.workspace,
        "voucher_codes",
        io.BytesIO(content),
        filename="codes.csv",
        size=len(content),
        options={"emit_events": False},
    )
    assert (run.status, run.rejected_count) == ("completed", 2)
    assert {e["code"] for e in run.errors} == {"campaign_required"}
    assert Voucher.objects.count() == 0


def test_every_character_of_the_charset_is_as_likely() -> None:
    # 31 characters: 256 % 31 = 8 byte values are dropped, or the first 8 would be about 10%
    # likelier than the rest.
    spec = codes.check_spec({"length": 8})
    drawn = codes.draw(spec, 20_000)
    counts = Counter(char for code in drawn for char in code)
    assert set(counts) == set(codes.DEFAULT_CHARSET)
    expected = 20_000 * 8 / 31
    assert all(abs(n - expected) < expected * 0.08 for n in counts.values()), counts
