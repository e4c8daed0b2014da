"""Generating a campaign's codes in the background (docs/vouchers.md, Generating codes).

A request is checked whole (the count, the campaign's code space) and stored as a queued
`CodeGeneration`; a task runs it in batches. Each batch draws its codes in memory with
`secrets`, inserts them in one statement that skips codes the workspace holds already (the
unique index decides), and commits them with the run's `created` count: the checkpoint a
stopped run resumes from."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.vouchers.errors import GenerationNotFound
from kizuna.vouchers.events import VoucherCodesGenerated
from kizuna.vouchers.locks import lock_generation
from kizuna.vouchers.models import (
    Campaign,
    CodeGeneration,
    JobStatus,
    Voucher,
    VoucherSource,
)
from kizuna.vouchers.services import codes
from kizuna.vouchers.services.campaigns import get_campaign
from kizuna.vouchers.services.inserts import insert_codes

logger = logging.getLogger(__name__)

MAX_COUNT = 1_000_000
BATCH_SIZE = 10_000
# Batches in a row that found no new code before a run gives up (the space is full).
MAX_FRUITLESS_BATCHES = 5
INTERRUPTED = "generation_interrupted"


def check_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise ValidationFailed(
            f"count is a whole number from 1 to {MAX_COUNT:,}.", code="invalid_count", field="count"
        )
    return value


def request_generation(workspace: Workspace, campaign_key: str, count: object) -> CodeGeneration:
    """Check and queue the generation of `count` codes (the task runs after commit)."""
    wanted = check_count(count)
    campaign = get_campaign(workspace, campaign_key)
    spec = codes.check_spec(campaign.code_spec)
    existing = Voucher.objects.filter(campaign=campaign).count()
    pending = sum(
        generation.requested - generation.created
        for generation in CodeGeneration.objects.filter(
            campaign=campaign, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        )
    )
    codes.check_space(spec, existing + pending + wanted)
    generation = CodeGeneration.objects.create(
        workspace=workspace, campaign=campaign, requested=wanted
    )
    transaction.on_commit(lambda: _enqueue(generation.pk))
    return generation


def _enqueue(generation_id: int) -> None:
    from kizuna.vouchers.tasks import generate_codes

    try:
        generate_codes.enqueue(generation_id)
    except Exception:  # the run stays queued; the resume job takes it
        logger.exception("Could not enqueue code generation %s", generation_id)


def get_generation(workspace: Workspace, campaign_key: str, generation_id: str) -> CodeGeneration:
    generation = None
    if generation_id.isascii() and generation_id.isdigit() and len(generation_id) <= 18:
        generation = one_or_none(
            CodeGeneration.objects.for_workspace(workspace)
            .filter(pk=int(generation_id), campaign__key=campaign_key)
            .select_related("campaign")
        )
    if generation is None:
        raise GenerationNotFound(
            f"No code generation {generation_id!r} for this campaign.", field="generation_id"
        )
    return generation


def _batch(generation_id: int, campaign: Campaign, spec: codes.CodeSpec, size: int) -> int | None:
    """Draw and store one batch, with the run's checkpoint; the codes it stored, or None
    when the run is done (or another process has it)."""
    with transaction.atomic():
        generation = lock_generation(generation_id)
        if generation is None or generation.status in (JobStatus.COMPLETED, JobStatus.FAILED):
            return None
        need = min(size, generation.requested - generation.created)
        stored = 0
        if need > 0:
            drawn = codes.draw(spec, need)
            stored = len(
                insert_codes(
                    workspace_id=campaign.workspace_id,
                    campaign_id=campaign.pk,
                    max_uses=campaign.per_code,
                    source=VoucherSource.GENERATED,
                    rows=[(code, None) for code in drawn],
                )
            )
            generation.created += stored
            generation.collisions += need - stored
        generation.status = JobStatus.RUNNING
        if generation.created >= generation.requested:
            generation.status = JobStatus.COMPLETED
            generation.finished_at = now()
            outbox.emit(
                campaign.workspace,
                VoucherCodesGenerated(
                    campaign_id=campaign.key,
                    generation_id=str(generation.pk),
                    count=generation.created,
                ),
            )
        generation.started_at = generation.started_at or now()
        generation.checkpoint_at = now()
        generation.save()
        return stored if generation.status == JobStatus.RUNNING else None


def run_generation(generation_id: int, *, batch_size: int = BATCH_SIZE) -> CodeGeneration | None:
    """Generate the run's codes from its checkpoint on: what the worker runs, safe to run
    again (a completed run is left as it is)."""
    generation = one_or_none(
        CodeGeneration.objects.filter(pk=generation_id).select_related("campaign__workspace")
    )
    if generation is None or generation.status == JobStatus.COMPLETED:
        return generation
    campaign = generation.campaign
    spec = codes.check_spec(campaign.code_spec)
    CodeGeneration.objects.filter(
        pk=generation_id, status=JobStatus.FAILED, failure_code=INTERRUPTED
    ).update(status=JobStatus.RUNNING, failure_code="", failure_message="", finished_at=None)
    fruitless = 0
    try:
        while (stored := _batch(generation_id, campaign, spec, batch_size)) is not None:
            fruitless = 0 if stored else fruitless + 1
            if fruitless >= MAX_FRUITLESS_BATCHES:
                _fail(
                    generation_id,
                    "code_space_exhausted",
                    "Batch after batch drew only codes that exist already: the campaign's "
                    "code space is full. Use a longer length or pattern.",
                )
                break
    except Exception:
        logger.exception("Code generation %s stopped", generation_id)
        _fail(
            generation_id,
            INTERRUPTED,
            "The generation stopped because of an internal error; the codes before its last "
            "checkpoint are kept, and it resumes from there when it runs again.",
        )
        raise
    generation.refresh_from_db()
    return generation


def _fail(generation_id: int, code: str, message: str) -> None:
    with transaction.atomic():
        CodeGeneration.objects.filter(pk=generation_id).exclude(status=JobStatus.COMPLETED).update(
            status=JobStatus.FAILED,
            failure_code=code,
            failure_message=message,
            finished_at=now(),
            checkpoint_at=now(),
        )


def stalled_ids(idle: timedelta) -> list[int]:
    """Runs that have not moved for `idle` (a lost task, a dead worker) or were interrupted."""
    moving = Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    interrupted = Q(status=JobStatus.FAILED, failure_code=INTERRUPTED)
    return list(
        CodeGeneration.objects.filter(moving | interrupted, checkpoint_at__lt=now() - idle)
        .order_by("checkpoint_at", "pk")
        .values_list("pk", flat=True)
    )
