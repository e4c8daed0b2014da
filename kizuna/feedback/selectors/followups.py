"""Reads of follow-up rules and follow-ups. Every query is scoped with `for_workspace`.

The list of follow-ups puts the overdue ones first (due before now and not closed), then
orders by due time, then by id. "Now" moves while a client pages, so the list is ordered as
of one moment, `as_of`, fixed by the first page and carried in the cursor with the last row's
sort key `(rank, due_at, pk)`, rank 0 for overdue and 1 for the rest: the pages of one walk
are one ordering, with no row twice and none skipped (a follow-up that falls due while the
client pages stays where the first page's moment put it). The keyset condition is the
lexicographic `(rank, due_at, pk) > cursor`."""

from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from kizuna.core.clock import now
from kizuna.core.errors import NotFound, ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import check_limit, decode_cursor, encode_cursor, keyset_page
from kizuna.feedback.errors import FollowUpNotFound, FollowUpRuleNotFound
from kizuna.feedback.models import FollowUp, FollowUpRule, FollowUpStatus, Response
from kizuna.feedback.selectors.responses import survey_of

OVERDUE, NOT_OVERDUE = 0, 1


def list_rules(
    workspace: Workspace, survey_key: str, *, cursor: str | None, limit: int | None
) -> tuple[list[FollowUpRule], str | None]:
    survey = survey_of(workspace, survey_key)
    rows, next_cursor = keyset_page(
        FollowUpRule.objects.for_workspace(workspace).filter(survey=survey),
        fields=("key",),
        descending=False,
        cursor=cursor,
        limit=limit,
    )
    for row in rows:
        row.survey = survey
    return rows, next_cursor


def get_rule(workspace: Workspace, survey_key: str, rule_key: str) -> FollowUpRule:
    rule = one_or_none(
        FollowUpRule.objects.for_workspace(workspace)
        .select_related("survey")
        .filter(survey__key=survey_key, key=rule_key)
    )
    if rule is None:
        survey_of(workspace, survey_key)  # 404 survey_not_found first
        raise FollowUpRuleNotFound(
            f"No follow-up rule {rule_key!r} of this survey.", field="rule_id"
        )
    return rule


def get_response(workspace: Workspace, survey_key: str, response_key: str) -> Response:
    """One response of the survey (the link in a follow-up's email)."""
    survey = survey_of(workspace, survey_key)
    response = one_or_none(
        Response.objects.for_workspace(workspace)
        .select_related("display", "customer")
        .filter(survey=survey, key=response_key)
    )
    if response is None:
        raise NotFound(
            f"No response {response_key!r} of this survey.",
            code="response_not_found",
            field="response_id",
        )
    response.survey = survey
    return response


def _overdue(as_of: datetime) -> Q:
    return Q(due_at__lt=as_of) & ~Q(status=FollowUpStatus.CLOSED)


def _rows(workspace: Workspace) -> QuerySet[FollowUp]:
    return FollowUp.objects.for_workspace(workspace).select_related(
        "survey", "response", "customer", "run__rule"
    )


def get_follow_up(workspace: Workspace, key: str) -> FollowUp:
    follow_up = one_or_none(_rows(workspace).filter(key=key))
    if follow_up is None:
        raise FollowUpNotFound(f"No follow-up {key!r}.", field="follow_up_id")
    follow_up.overdue = _is_overdue(follow_up, now())  # type: ignore[attr-defined]
    return follow_up


def _is_overdue(follow_up: FollowUp, as_of: datetime) -> bool:
    return follow_up.due_at < as_of and follow_up.status != FollowUpStatus.CLOSED


def _position(cursor: str) -> tuple[datetime, int, datetime, int]:
    as_of, rank, due_at, pk = decode_cursor(cursor, 4)
    if (
        not isinstance(as_of, datetime)
        or as_of.tzinfo is None
        or rank not in (OVERDUE, NOT_OVERDUE)
        or isinstance(rank, bool)
        or not isinstance(due_at, datetime)
        or due_at.tzinfo is None
        or isinstance(pk, bool)
        or not isinstance(pk, int)
    ):
        raise ValidationFailed(
            "The cursor is not one this API returned.", code="invalid_cursor", field="cursor"
        )
    return as_of, rank, due_at, pk


def list_follow_ups(
    workspace: Workspace,
    *,
    status: str | None = None,
    survey_id: str | None = None,
    assignee: str | None = None,
    customer_id: str | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[FollowUp], str | None]:
    """Follow-ups, overdue first, then by due time and id (see the module's doc)."""
    size = check_limit(limit)
    position = _position(cursor) if cursor is not None else None
    as_of = position[0] if position is not None else now()
    queryset = _rows(workspace).annotate(
        rank=Case(
            When(_overdue(as_of), then=Value(OVERDUE)),
            default=Value(NOT_OVERDUE),
            output_field=IntegerField(),
        )
    )
    if status is not None:
        queryset = queryset.filter(status=status)
    if survey_id is not None:
        queryset = queryset.filter(survey__key=survey_id)
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    if customer_id is not None:
        queryset = queryset.filter(customer__external_id=customer_id)
    if overdue is not None:
        queryset = queryset.filter(_overdue(as_of) if overdue else ~_overdue(as_of))
    if position is not None:
        _, rank, due_at, pk = position
        queryset = queryset.filter(
            Q(rank__gt=rank)
            | Q(rank=rank, due_at__gt=due_at)
            | Q(rank=rank, due_at=due_at, pk__gt=pk)
        )
    rows: list[Any] = list(queryset.order_by("rank", "due_at", "pk")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([as_of, last.rank, last.due_at, last.pk])
    for row in rows:
        row.overdue = row.rank == OVERDUE
    return rows, next_cursor
