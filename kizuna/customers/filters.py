"""Filters of the customer list that other apps provide.

`GET /customers?segment=` filters by a segment, which the insights app owns; customers must not
import insights (it is above customers), so insights registers the filter at start-up, the way
event types are registered. A filter takes the workspace and the query value and returns a `Q`
over customers, or raises the 422 that the value deserves."""

from collections.abc import Callable

from django.db.models import Q

from kizuna.core.models import Workspace

CustomerFilter = Callable[[Workspace, str], Q]
_FILTERS: dict[str, CustomerFilter] = {}


def register_customer_filter(name: str, customer_filter: CustomerFilter) -> None:
    existing = _FILTERS.get(name)
    if existing is not None and existing is not customer_filter:
        raise RuntimeError(f"The customer filter {name!r} is registered twice.")
    _FILTERS[name] = customer_filter


def customer_filter(name: str) -> CustomerFilter | None:
    return _FILTERS.get(name)
