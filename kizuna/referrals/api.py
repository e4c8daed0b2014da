"""HTTP handlers of the referrals API: parse, call one service or selector, present.
Mounted by kizuna.api with server-key auth: /referral-programs, /referrals and the
customer's /referral-code and /referrals."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import ObjectPathId, Page, PageParams, PathId, page, with_errors
from kizuna.referrals import schemas, selectors
from kizuna.referrals.services import attribution, codes, programs

programs_router = Router(tags=["referrals"])
referrals_router = Router(tags=["referrals"])
customer_referrals_router = Router(tags=["referrals"])


def _body(payload: Any) -> dict[str, Any]:
    return dict(payload.model_dump(exclude_unset=True))


@programs_router.post(
    "", response=with_errors({201: schemas.ReferralProgramOut}), summary="Create a referral program"
)
def create_program(request: HttpRequest, payload: schemas.ReferralProgramIn) -> Any:
    return Status(
        201, programs.create_program(workspace_of(request), _body(payload), actor_of(request))
    )


@programs_router.get(
    "",
    response=with_errors({200: Page[schemas.ReferralProgramOut]}),
    summary="List referral programs, newest first",
)
def list_programs(request: HttpRequest, page_params: Query[PageParams]) -> Any:
    return page(
        *selectors.list_programs(
            workspace_of(request), cursor=page_params.cursor, limit=page_params.limit
        )
    )


@programs_router.get(
    "/{program_id}",
    response=with_errors({200: schemas.ReferralProgramOut}),
    summary="Get a program",
)
def get_program(request: HttpRequest, program_id: ObjectPathId) -> Any:
    return programs.get_program(workspace_of(request), program_id)


@programs_router.patch(
    "/{program_id}",
    response=with_errors({200: schemas.ReferralProgramOut}),
    summary="Change a referral program (pending referrals convert under the program as it "
    "is when they convert)",
)
def update_program(
    request: HttpRequest, program_id: ObjectPathId, payload: schemas.ReferralProgramPatch
) -> Any:
    return programs.update_program(
        workspace_of(request), program_id, _body(payload), actor_of(request)
    )


@referrals_router.post(
    "",
    response=with_errors({201: schemas.ReferralOut, 200: schemas.ReferralOut}),
    summary="Attribute a customer who signed up with a referral code (201; 200 when the same "
    "code attributed them already). An attribution refused by an abuse check is stored "
    "rejected, with its reason.",
)
def create_referral(request: HttpRequest, payload: schemas.ReferralIn) -> Any:
    referral, created = attribution.attribute(workspace_of(request), _body(payload))
    return Status(201 if created else 200, referral)


@customer_referrals_router.get(
    "/{customer_id}/referral-code",
    response=with_errors({200: schemas.ReferralCodeOut}),
    summary="The customer's referral code in a program, made on first read",
)
def get_referral_code(
    request: HttpRequest, customer_id: PathId, params: Query[schemas.ReferralCodeParams]
) -> Any:
    return codes.code_of(workspace_of(request), customer_id, params.program_id)


@customer_referrals_router.get(
    "/{customer_id}/referrals",
    response=with_errors({200: Page[schemas.ReferralOut]}),
    summary="The customer's referrals, as referrer and as referee, newest first",
)
def list_referrals(
    request: HttpRequest, customer_id: PathId, params: Query[schemas.ReferralParams]
) -> Any:
    return page(
        *selectors.list_referrals(
            workspace_of(request),
            customer_id,
            role=params.role,
            status=params.status,
            cursor=params.cursor,
            limit=params.limit,
        )
    )
