"""The demo's surveys and their year of responses, written through the surveys' own services.

The three surveys (survey_definitions.py) are created and published as a marketer would, dated
at the start of the year; each planned response (survey_answers.py) is then recorded as the
hosted page or the widget would record it, a display and then the response, with the clock at
its moment. So displays, responses, the answer projection, quotas and the customers' timelines
are what the product would have written. The events the replay emits are removed at the end:
history is not news. The open answers' sentiment is left to the background worker (`make demo`
runs one), which analyses them in the minutes after the load."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from kizuna.core import clock
from kizuna.core.audit import Actor
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.demo.plans import DemoPlan
from kizuna.demo.survey_answers import ResponsePlan, plan_answers, visible_answers
from kizuna.demo.survey_definitions import SURVEYS
from kizuna.feedback.services import surveys
from kizuna.feedback.services.displays import record_display
from kizuna.feedback.services.responses import save_response
from kizuna.loyalty.models import Account

ACTOR = Actor("system", "demo")
AGENTS = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) Mobile/15E148",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36",
}


def set_up_surveys(workspace: Workspace, moment: datetime) -> None:
    with clock.at(moment):
        for survey in SURVEYS:
            surveys.create_survey(workspace, survey, ACTOR)
            surveys.publish_survey(workspace, survey["id"], ACTOR)


def _tiers(workspace: Workspace) -> dict[str, str]:
    return {
        external_id: tier
        for external_id, tier in Account.objects.for_workspace(workspace)
        .filter(tier__isnull=False)
        .values_list("customer__external_id", "tier__key")
    }


def _record(workspace: Workspace, number: int, planned: ResponsePlan) -> None:
    customer_id = planned.customer.external_id
    if planned.opened_before:
        with clock.at(planned.moment - timedelta(hours=20)):
            record_display(
                workspace,
                planned.survey,
                {"customer_id": customer_id, "channel": planned.channel},
                throttle=False,  # history: these displays happened
            )
    with clock.at(planned.moment - timedelta(seconds=sum(planned.time_ms.values()) // 1000 + 5)):
        display = record_display(
            workspace,
            planned.survey,
            {"customer_id": customer_id, "channel": planned.channel},
            throttle=False,
        )
    answers = visible_answers(planned)
    body: dict[str, Any] = {
        "submission_id": f"demo-{number:06d}",
        "display_id": display.key,
        "customer_id": customer_id,
        "language": planned.language,
        "answers": answers,
        "finished": planned.finished,
        "time_ms": {key: ms for key, ms in planned.time_ms.items() if key in answers},
        "meta": {"device": planned.device},
    }
    if planned.hidden:
        body["hidden"] = planned.hidden
    with clock.at(planned.moment):
        save_response(workspace, planned.survey, body, user_agent=AGENTS[planned.device])


def add_feedback(
    workspace: Workspace, plan: DemoPlan, seed: int, report: Callable[[str], None]
) -> int:
    """Create the surveys and record the year of responses; returns how many."""
    planned = plan_answers(plan, seed, _tiers(workspace))
    set_up_surveys(workspace, plan.anchor - timedelta(days=366))
    report(f"Answering the surveys: {len(planned)} responses over the year ...")
    total = len(planned)
    next_quarter = 1
    for number, response in enumerate(planned, start=1):
        _record(workspace, number, response)
        if number * 4 // max(total, 1) >= next_quarter:
            next_quarter = number * 4 // total + 1
            report(f"  responses        {number}/{total} ({number * 100 // total}%)")
    replayed = Q(type__startswith="survey.") | Q(type__in=("response.completed", "nps.detractor"))
    OutboxEvent.objects.for_workspace(workspace).filter(replayed).delete()
    return total
