"""Looking codes up: the truth for a server key; for a publishable key one answer for every
code it may not use, failed lookups rate limited; QR codes that decode to the code."""

import io
from datetime import timedelta
from typing import Any

import pytest
import zxingcpp
from django.conf import LazySettings
from PIL import Image

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.customers.models import Customer
from kizuna.vouchers.models import Campaign, Voucher
from kizuna.vouchers.tests.support import make_campaign, make_customer


def _voucher(campaign_key: str, code: str, **fields: Any) -> Voucher:
    campaign = Campaign.objects.get(key=campaign_key)
    return Voucher.objects.create(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        code=code,
        max_uses=campaign.per_code,
        source="imported",
        **fields,
    )


@pytest.fixture
def codes(api: ApiClient) -> None:
    """Codes in every state: active, expired, not started, used up, paused, someone else's."""
    make_customer(api, "cust-1")
    make_customer(api, "cust-2")
    year = timedelta(days=365)
    make_campaign(api, id="live", valid_from=None, valid_until=None, usage={"per_code": 2})
    make_campaign(api, id="past", valid_from=None, valid_until=(now() - year).isoformat())
    make_campaign(api, id="future", valid_from=(now() + year).isoformat(), valid_until=None)
    make_campaign(api, id="paused", valid_from=None, valid_until=None, status="paused")
    _voucher("live", "LIVE-1")
    _voucher("live", "USED-1", uses=2)
    _voucher("live", "MINE-1", customer=Customer.objects.get(external_id="cust-1"))
    _voucher("past", "PAST-1")
    _voucher("future", "SOON-1")
    _voucher("paused", "HUSH-1")


def test_a_server_key_gets_the_truth(api: ApiClient, codes: None) -> None:
    got = {
        code: api.get(f"/vouchers/{code}").data["status"]
        for code in ["LIVE-1", "USED-1", "MINE-1", "PAST-1", "SOON-1", "HUSH-1"]
    }
    assert got == {
        "LIVE-1": "active",
        "USED-1": "used_up",
        "MINE-1": "active",
        "PAST-1": "expired",
        "SOON-1": "not_started",
        "HUSH-1": "inactive",
    }
    data = api.get("/vouchers/live-1").data  # compared case-insensitively
    assert (data["code"], data["campaign_id"], data["uses"], data["uses_left"]) == (
        "LIVE-1",
        "live",
        0,
        2,
    )
    assert data["customer_id"] is None
    assert api.get("/vouchers/MINE-1").data["customer_id"] == "cust-1"
    missing = api.get("/vouchers/NOPE-1")
    assert (missing.status_code, missing.data["code"], missing.data["field"]) == (
        404,
        "voucher_not_found",
        "code",
    )


def test_a_publishable_key_cannot_tell_unusable_codes_apart(
    browser_api: ApiClient, codes: None
) -> None:
    ok = browser_api.get("/vouchers/live 1".replace(" ", "-").lower())
    assert ok.status_code == 200
    assert set(ok.data) == {"code", "status", "name", "discount", "valid_from", "valid_until", "qr"}
    assert ok.data["status"] == "active"
    mine = browser_api.get("/vouchers/MINE-1?customer_id=cust-1")
    assert mine.status_code == 200
    assert mine.data["qr"]["png"] == "/api/v1/vouchers/MINE-1/qr.png?customer_id=cust-1"
    assert browser_api.client.get(mine.data["qr"]["svg"]).status_code == 200

    refused = [
        browser_api.get(path)
        for path in [
            "/vouchers/NOPE-1",  # unknown
            "/vouchers/PAST-1",  # expired
            "/vouchers/SOON-1",  # not started
            "/vouchers/USED-1",  # used up
            "/vouchers/HUSH-1",  # paused
            "/vouchers/MINE-1",  # someone else's (no customer said)
            "/vouchers/MINE-1?customer_id=cust-2",  # someone else's
            "/vouchers/not a code!",  # could not even be a code
        ]
    ]
    assert {r.status_code for r in refused} == {404}
    bodies = [{k: v for k, v in r.data.items() if k != "request_id"} for r in refused]
    assert bodies == [
        {"code": "not_valid", "message": "This code is not valid.", "field": "code", "details": []}
    ] * len(refused)
    assert len({r.content.replace(r.data["request_id"].encode(), b"") for r in refused}) == 1
    assert refused[0].data["code"] == "not_valid"


def test_a_publishable_key_may_not_manage_campaigns(browser_api: ApiClient) -> None:
    response = browser_api.get("/voucher-campaigns")
    assert (response.status_code, response.data["code"]) == (403, "server_key_required")
    response = browser_api.get("/gift-cards/GC-1")
    assert (response.status_code, response.data["code"]) == (403, "server_key_required")


def test_failed_lookups_are_rate_limited_with_retry_after(
    browser_api: ApiClient, api: ApiClient, codes: None, settings: LazySettings
) -> None:
    settings.KIZUNA_RATE_LIMITS = {**settings.KIZUNA_RATE_LIMITS, "voucher_lookup": (3, 60)}
    assert [browser_api.get(f"/vouchers/GUESS-{i}").status_code for i in range(2)] == [404] * 2
    assert browser_api.get("/vouchers/LIVE-1").status_code == 200, "good lookups do not count"
    assert browser_api.get("/vouchers/GUESS-3").status_code == 404
    limited = browser_api.get("/vouchers/GUESS-9")
    assert (limited.status_code, limited.data["code"]) == (429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 120
    # Once limited, even a good code waits: guessing cannot go on between hits.
    again = browser_api.get("/vouchers/LIVE-1")
    assert (again.status_code, again.data["code"]) == (429, "rate_limited")
    assert again.headers["Retry-After"]
    # The server key has its own count.
    assert api.get("/vouchers/LIVE-1").status_code == 200


def test_the_qr_png_decodes_to_the_code(browser_api: ApiClient, codes: None) -> None:
    response = browser_api.client.get("/api/v1/vouchers/live-1/qr.png?scale=6&border=2")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(response.content))
    # Version 1 (21 modules) at 6 pixels a module with 2 modules of border each side.
    assert image.size == ((21 + 4) * 6, (21 + 4) * 6)
    [barcode] = zxingcpp.read_barcodes(image)
    assert (barcode.format, barcode.text) == (zxingcpp.BarcodeFormat.QRCode, "LIVE-1")


def test_the_qr_svg_draws_the_code(api: ApiClient, codes: None) -> None:
    response = api.client.get("/api/v1/vouchers/LIVE-1/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg
    assert "<title>LIVE-1</title>" in svg


def test_a_qr_code_is_refused_as_its_lookup_is(
    browser_api: ApiClient, api: ApiClient, codes: None
) -> None:
    for path in ["/vouchers/PAST-1/qr.png", "/vouchers/NOPE-1/qr.svg"]:
        response = browser_api.get(path)
        assert (response.status_code, response.data["code"]) == (404, "not_valid")
    bad = api.get("/vouchers/LIVE-1/qr.png?scale=100")
    assert (bad.status_code, bad.data["field"]) == (422, "scale")


def test_another_workspace_does_not_find_the_code(
    other_api: ApiClient, codes: None, other_workspace: NewWorkspace
) -> None:
    response = other_api.get("/vouchers/LIVE-1")
    assert (response.status_code, response.data["code"]) == (404, "voucher_not_found")
    browser = ApiClient(other_workspace.publishable_key)
    response = browser.get("/vouchers/LIVE-1")
    assert (response.status_code, response.data["code"]) == (404, "not_valid")
