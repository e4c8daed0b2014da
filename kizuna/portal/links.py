"""The link a hosted page is opened with (kizuna.feedback's survey links), resolved to its
survey and, for a personal link, its customer."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.feedback.errors import LinkUsed
from kizuna.feedback.models import LinkKind, Survey, SurveyLink
from kizuna.feedback.services import links


@dataclass
class Target:
    token: str
    survey: Survey
    workspace: Workspace
    customer: Customer | None = None
    personal: bool = False
    used: LinkUsed | None = None  # a personal link answered already (by whom: the caller sees)


def _target(link: SurveyLink) -> Target:
    survey = link.survey
    survey.workspace = link.workspace
    customer = link.customer
    if customer is not None:
        customer.workspace = link.workspace
    return Target(
        token=link.token,
        survey=survey,
        workspace=link.workspace,
        customer=customer,
        personal=link.kind == LinkKind.PERSONAL,
    )


def resolve_target(token: str, moment: datetime) -> Target:
    """404 link_not_found, 410 link_expired; a used personal link is returned with `used`
    set, so that the browser that answered it is shown its ending, and anyone else 409."""
    try:
        return _target(links.resolve(token, moment))
    except LinkUsed as used:
        link = one_or_none(
            SurveyLink.objects.select_related("survey", "customer", "workspace").filter(token=token)
        )
        if link is None:  # pragma: no cover (links are not deleted)
            raise
        target = _target(link)
        target.used = used
        return target


def link_url(target: Target) -> str:
    return f"{settings.KIZUNA_PUBLIC_URL}/s/{target.token}"
