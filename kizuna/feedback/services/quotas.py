"""Quotas: `{id, condition, limit, action, ending?}` of a definition. A quota counts the
completed responses whose answers match its condition, in a `QuotaCount` row per survey and
quota; once `limit` are counted, a further matching response is refused (`end`: 409
quota_full, nothing saved) or screened out (`screen_out`: saved as screened_out, final, not
counted), at the quota's `ending` if it names one.

The count moves only in the transaction that completes a response, by a conditional UPDATE
(`count = count + 1 WHERE count < limit`): the database decides which of two concurrent
responses takes the last place, so a quota never counts past its limit. A partial save reads
the counts (no lock) so that a respondent who matches a full quota is stopped early; the
completion is what counts. Quotas are taken in the definition's order, always the same, so
two responses taking the same quotas wait for each other instead of deadlocking.

Which quotas a response matches is the evaluator's answer (`quotas_matched`, the conditions
of the version answered); their limits, actions and endings are the survey's current
definition's, so that raising a limit in a new version lets responses to every version in."""

from dataclasses import dataclass
from typing import Any

from django.db.models import F

from kizuna.core.upsert import insert_once
from kizuna.feedback.models import QuotaCount, Survey


@dataclass(frozen=True)
class Quota:
    id: str
    limit: int
    action: str  # "end" or "screen_out"
    ending: str | None


def quotas_of(definition: dict[str, Any], ids: list[str]) -> list[Quota]:
    """The quotas named (the evaluator's `quotas_matched`) as the definition states them, in
    its order; a quota it no longer has counts nothing."""
    wanted = set(ids)
    return [
        Quota(quota["id"], quota["limit"], quota["action"], quota.get("ending"))
        for quota in definition.get("quotas") or []
        if quota["id"] in wanted
    ]


def first_full(survey: Survey, quotas: list[Quota]) -> Quota | None:
    """The first of the quotas that is full now, as last committed (a read, no lock)."""
    if not quotas:
        return None
    counts = dict(
        QuotaCount.objects.for_workspace(survey.workspace)
        .filter(survey=survey, quota_id__in=[quota.id for quota in quotas])
        .values_list("quota_id", "count")
    )
    return next((quota for quota in quotas if counts.get(quota.id, 0) >= quota.limit), None)


def _take_one(survey: Survey, quota: Quota) -> bool:
    def increment() -> int:
        return QuotaCount.objects.filter(
            survey=survey, quota_id=quota.id, count__lt=quota.limit
        ).update(count=F("count") + 1)

    if increment():
        return True
    _row, created = insert_once(
        QuotaCount(workspace_id=survey.workspace_id, survey=survey, quota_id=quota.id, count=1),
        survey=survey,
        quota_id=quota.id,
    )
    # Not created: the row is there (full, or inserted by a response that just committed).
    return created or bool(increment())


def _give_back(survey: Survey, quota: Quota) -> None:
    QuotaCount.objects.filter(survey=survey, quota_id=quota.id).update(count=F("count") - 1)


def take_places(survey: Survey, quotas: list[Quota]) -> Quota | None:
    """Count a completed response in each quota it matches, in order. Returns None when
    every one had a place; otherwise the first full quota, after giving back the places
    taken before it (the rows stay locked by this transaction until it ends)."""
    taken: list[Quota] = []
    for quota in quotas:
        if not _take_one(survey, quota):
            for earlier in taken:
                _give_back(survey, earlier)
            return quota
        taken.append(quota)
    return None
