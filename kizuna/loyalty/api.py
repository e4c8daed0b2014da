"""HTTP handlers of the loyalty API: parse, call one service or selector, present."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import Page, PageParams, page, with_errors
from kizuna.loyalty import schemas, selectors
from kizuna.loyalty.services import adjustments, milestones, programs, rules, simulation, tiers

# Mounted by kizuna.api with server-key auth: /v1/programs and /v1/customers.
programs_router = Router(tags=["loyalty"])
members_router = Router(tags=["loyalty"])


def _body(payload: Any) -> dict[str, Any]:
    return dict(payload.model_dump(exclude_unset=True))


# ------------------------------------------------------------------ programs


@programs_router.post(
    "", response=with_errors({201: schemas.ProgramOut}), summary="Create a program"
)
def create_program(request: HttpRequest, payload: schemas.ProgramIn) -> Any:
    return Status(
        201, programs.create_program(workspace_of(request), _body(payload), actor_of(request))
    )


@programs_router.get(
    "", response=with_errors({200: Page[schemas.ProgramOut]}), summary="List programs"
)
def list_programs(request: HttpRequest, page_params: Query[PageParams]) -> Any:
    return page(
        *selectors.list_programs(
            workspace_of(request), cursor=page_params.cursor, limit=page_params.limit
        )
    )


@programs_router.get(
    "/{program_id}", response=with_errors({200: schemas.ProgramOut}), summary="Get a program"
)
def get_program(request: HttpRequest, program_id: str) -> Any:
    return programs.get_program(workspace_of(request), program_id)


@programs_router.patch(
    "/{program_id}", response=with_errors({200: schemas.ProgramOut}), summary="Change a program"
)
def update_program(request: HttpRequest, program_id: str, payload: schemas.ProgramPatch) -> Any:
    return programs.update_program(
        workspace_of(request), program_id, _body(payload), actor_of(request)
    )


@programs_router.post(
    "/{program_id}/members",
    response=with_errors({200: schemas.MemberOut, 201: schemas.MemberOut}),
    summary="Enrol a customer (201), or answer the membership they have (200)",
)
def enrol(request: HttpRequest, program_id: str, payload: schemas.MemberIn) -> Any:
    account, created = programs.enrol(workspace_of(request), program_id, payload.customer_id)
    return Status(201 if created else 200, account)


@programs_router.get(
    "/{program_id}/members",
    response=with_errors({200: Page[schemas.MemberOut]}),
    summary="List members",
)
def list_members(request: HttpRequest, program_id: str, page_params: Query[PageParams]) -> Any:
    return page(
        *selectors.list_members(
            workspace_of(request), program_id, cursor=page_params.cursor, limit=page_params.limit
        )
    )


@programs_router.post(
    "/{program_id}/simulate",
    response=with_errors({200: schemas.SimulationOut}),
    summary="What the program would give for an order or an event, or over stored orders; "
    "nothing is written",
)
def simulate_program(request: HttpRequest, program_id: str, payload: schemas.SimulateIn) -> Any:
    return simulation.simulate(workspace_of(request), program_id, None, _body(payload))


# ------------------------------------------------------------------ earning rules


@programs_router.post(
    "/{program_id}/earning-rules",
    response=with_errors({201: schemas.RuleOut}),
    summary="Create an earning rule",
)
def create_rule(request: HttpRequest, program_id: str, payload: schemas.RuleIn) -> Any:
    return Status(
        201, rules.create_rule(workspace_of(request), program_id, _body(payload), actor_of(request))
    )


@programs_router.get(
    "/{program_id}/earning-rules",
    response=with_errors({200: Page[schemas.RuleOut]}),
    summary="List earning rules",
)
def list_rules(request: HttpRequest, program_id: str, page_params: Query[PageParams]) -> Any:
    return page(
        *selectors.list_rules(
            workspace_of(request), program_id, cursor=page_params.cursor, limit=page_params.limit
        )
    )


@programs_router.get(
    "/{program_id}/earning-rules/{rule_id}",
    response=with_errors({200: schemas.RuleOut}),
    summary="Get an earning rule",
)
def get_rule(request: HttpRequest, program_id: str, rule_id: str) -> Any:
    return rules.get_rule(programs.get_program(workspace_of(request), program_id), rule_id)


@programs_router.patch(
    "/{program_id}/earning-rules/{rule_id}",
    response=with_errors({200: schemas.RuleOut}),
    summary="Change an earning rule",
)
def update_rule(
    request: HttpRequest, program_id: str, rule_id: str, payload: schemas.RulePatch
) -> Any:
    return rules.update_rule(
        workspace_of(request), program_id, rule_id, _body(payload), actor_of(request)
    )


@programs_router.delete(
    "/{program_id}/earning-rules/{rule_id}",
    response=with_errors({204: None}),
    summary="Delete an earning rule",
)
def delete_rule(request: HttpRequest, program_id: str, rule_id: str) -> Any:
    rules.delete_rule(workspace_of(request), program_id, rule_id, actor_of(request))
    return Status(204, None)


@programs_router.post(
    "/{program_id}/earning-rules/{rule_id}/simulate",
    response=with_errors({200: schemas.SimulationOut}),
    summary="What this rule would give for an order or an event, or over stored orders; "
    "nothing is written",
)
def simulate_rule(
    request: HttpRequest, program_id: str, rule_id: str, payload: schemas.SimulateIn
) -> Any:
    return simulation.simulate(workspace_of(request), program_id, rule_id, _body(payload))


# ------------------------------------------------------------------ tiers and milestones


@programs_router.post(
    "/{program_id}/tiers", response=with_errors({201: schemas.TierOut}), summary="Create a tier"
)
def create_tier(request: HttpRequest, program_id: str, payload: schemas.TierIn) -> Any:
    return Status(
        201, tiers.create_tier(workspace_of(request), program_id, _body(payload), actor_of(request))
    )


@programs_router.get(
    "/{program_id}/tiers",
    response=with_errors({200: Page[schemas.TierOut]}),
    summary="List tiers, lowest first",
)
def list_tiers(request: HttpRequest, program_id: str) -> Any:
    return page(selectors.list_tiers(workspace_of(request), program_id), None)


@programs_router.get(
    "/{program_id}/tiers/{tier_id}",
    response=with_errors({200: schemas.TierOut}),
    summary="Get a tier",
)
def get_tier(request: HttpRequest, program_id: str, tier_id: str) -> Any:
    return tiers.get_tier(programs.get_program(workspace_of(request), program_id), tier_id)


@programs_router.patch(
    "/{program_id}/tiers/{tier_id}",
    response=with_errors({200: schemas.TierOut}),
    summary="Change a tier",
)
def update_tier(
    request: HttpRequest, program_id: str, tier_id: str, payload: schemas.TierPatch
) -> Any:
    return tiers.update_tier(
        workspace_of(request), program_id, tier_id, _body(payload), actor_of(request)
    )


@programs_router.post(
    "/{program_id}/milestones",
    response=with_errors({201: schemas.MilestoneOut}),
    summary="Create a milestone",
)
def create_milestone(request: HttpRequest, program_id: str, payload: schemas.MilestoneIn) -> Any:
    return Status(
        201,
        milestones.create_milestone(
            workspace_of(request), program_id, _body(payload), actor_of(request)
        ),
    )


@programs_router.get(
    "/{program_id}/milestones",
    response=with_errors({200: Page[schemas.MilestoneOut]}),
    summary="List milestones",
)
def list_milestones(request: HttpRequest, program_id: str) -> Any:
    return page(selectors.list_milestones(workspace_of(request), program_id), None)


# ------------------------------------------------------------------ a customer's loyalty


@members_router.get(
    "/{customer_id}/loyalty",
    response=with_errors({200: schemas.LoyaltyOut}),
    summary="The customer's points, tier and milestones in each program they belong to",
)
def customer_loyalty(request: HttpRequest, customer_id: str) -> Any:
    return {"data": selectors.loyalty_of(workspace_of(request), customer_id)}


@members_router.get(
    "/{customer_id}/loyalty/{program_id}/transactions",
    response=with_errors({200: Page[schemas.TransactionOut]}),
    summary="The customer's points ledger in the program, newest first",
)
def customer_transactions(
    request: HttpRequest, customer_id: str, program_id: str, page_params: Query[PageParams]
) -> Any:
    return page(
        *selectors.transactions(
            workspace_of(request),
            customer_id,
            program_id,
            cursor=page_params.cursor,
            limit=page_params.limit,
        )
    )


@members_router.post(
    "/{customer_id}/loyalty/{program_id}/adjustments",
    response=with_errors({201: schemas.TransactionOut}),
    summary="Add or remove points by hand, with a reason (audited)",
)
def adjust(
    request: HttpRequest, customer_id: str, program_id: str, payload: schemas.AdjustmentIn
) -> Any:
    return Status(
        201,
        adjustments.adjust(
            workspace_of(request), customer_id, program_id, _body(payload), actor_of(request)
        ),
    )
