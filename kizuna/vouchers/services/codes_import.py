"""Importing a campaign's existing codes from a file, through the bulk import runs of the
shared kernel (ADR 0023): a CSV, XLSX or JSON lines file with a `code` column and an
optional `customer_id` column, checked row by row, reported per row (invalid characters,
duplicates in the file, codes the workspace holds already), written in batches."""

from collections.abc import Sequence
from typing import IO, Any

from kizuna.core.errors import KizunaError
from kizuna.core.imports import runs
from kizuna.core.imports.kinds import CREATED, UNCHANGED, ImportKind, RowResult, rejected
from kizuna.core.models import BulkImport, Workspace
from kizuna.customers.models import Customer
from kizuna.vouchers.models import Campaign, Voucher, VoucherSource
from kizuna.vouchers.services import codes
from kizuna.vouchers.services.campaigns import get_campaign
from kizuna.vouchers.services.inserts import insert_codes

KIND_NAME = "voucher_codes"


def _problem(field: str | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


def ingest(
    workspace: Workspace, rows: Sequence[tuple[int, dict[str, Any]]], options: dict[str, Any]
) -> list[RowResult]:
    campaign_pk = options.get("campaign")
    campaign = (
        Campaign.objects.for_workspace(workspace).filter(pk=campaign_pk).first()
        if isinstance(campaign_pk, int)
        else None
    )
    if campaign is None:  # `manage.py import_file voucher_codes` names no campaign
        problem = _problem(
            None,
            "campaign_required",
            "Codes are imported into a campaign: POST /voucher-campaigns/{id}/codes.",
        )
        return [rejected(problem) for _ in rows]
    wanted_customers = {
        body["customer_id"] for _, body in rows if isinstance(body.get("customer_id"), str)
    }
    customers = dict(
        Customer.objects.for_workspace(workspace)
        .filter(external_id__in=wanted_customers, erased_at__isnull=True)
        .values_list("external_id", "pk")
    )
    results: list[RowResult | None] = []
    first_row_of: dict[str, int] = {}
    good: list[tuple[str, int | None]] = []
    for number, body in rows:
        try:
            code = codes.check_code(body.get("code", ""), "code")
        except KizunaError as exc:
            results.append(rejected(_problem(exc.field, exc.code, exc.message)))
            continue
        customer_pk = None  # the campaign's customer, if it has one, owns the code
        external_id = body.get("customer_id")
        if external_id is not None:
            customer_pk = customers.get(external_id)
            if customer_pk is None:
                results.append(
                    rejected(
                        _problem(
                            "customer_id", "customer_not_found", f"No customer {external_id!r}."
                        )
                    )
                )
                continue
            if campaign.customer_id is not None and customer_pk != campaign.customer_id:
                results.append(
                    rejected(
                        _problem(
                            "customer_id",
                            "customer_mismatch",
                            "The campaign's codes all belong to its own customer.",
                        )
                    )
                )
                continue
        first = first_row_of.setdefault(code, number)
        if first != number:
            results.append(
                rejected(
                    _problem(
                        "code",
                        "duplicate_code",
                        f"The code {code!r} is also on row {first}; each appears once per file.",
                    )
                )
            )
            continue
        good.append((code, customer_pk))
        results.append(None)
    stored = insert_codes(
        workspace_id=workspace.pk,
        campaign_id=campaign.pk,
        max_uses=campaign.per_code,
        source=VoucherSource.IMPORTED,
        rows=good,
    )
    held = {code for code, _ in good} - stored
    ours = set(
        Voucher.objects.for_workspace(workspace)
        .filter(code__in=held, campaign=campaign)
        .values_list("code", flat=True)
    )
    outcomes = iter(good)
    out: list[RowResult] = []
    for result in results:
        if result is not None:
            out.append(result)
            continue
        code, _ = next(outcomes)
        if code in stored:
            out.append(CREATED)
        elif code in ours:
            out.append(UNCHANGED)
        else:
            out.append(
                rejected(
                    _problem(
                        "code",
                        "code_exists",
                        f"The code {code!r} belongs to another campaign of the workspace.",
                    )
                )
            )
    return out


VOUCHER_CODES = ImportKind(
    name=KIND_NAME,
    id_field="code",
    columns=frozenset({"code", "customer_id"}),
    json_columns=frozenset(),
    ingest=ingest,
    options=frozenset({"campaign"}),
)


def submit_codes(
    workspace: Workspace, campaign_key: str, stream: IO[bytes], *, filename: str, size: int
) -> BulkImport:
    """Check an uploaded file of codes and queue its import into the campaign."""
    campaign = get_campaign(workspace, campaign_key)
    return runs.submit(
        workspace,
        KIND_NAME,
        stream,
        filename=filename,
        size=size,
        options={"campaign": campaign.pk, "campaign_id": campaign.key},
    )


def get_import(workspace: Workspace, campaign_key: str, import_id: str) -> BulkImport:
    run = runs.get_run(workspace, KIND_NAME, import_id)
    if run.options.get("campaign_id") != campaign_key:
        return runs.get_run(workspace, KIND_NAME, "")  # 404, as any unknown run
    return run
