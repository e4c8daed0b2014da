"""The registry through which apps above customers act inside a custom event's transaction
(ARCHITECTURE section 1): loyalty earns points for an event, or activates points waiting for
it. Customers never import them.

A participant registers once, from its `AppConfig.ready()`; its hook runs in the event's
transaction and returns its effects for the response, presented under its name."""

from collections.abc import Sequence
from typing import Any, Protocol

Effects = list[dict[str, Any]]


class EventParticipant(Protocol):
    name: str

    def event_recorded(self, event: Any) -> Effects: ...

    def event_effects(self, events: Sequence[Any]) -> dict[int, Effects]: ...


_PARTICIPANTS: dict[str, EventParticipant] = {}


def register(participant: EventParticipant) -> None:
    existing = _PARTICIPANTS.get(participant.name)
    if existing is not None and existing is not participant:
        raise RuntimeError(f"Event participant {participant.name} is registered twice.")
    _PARTICIPANTS[participant.name] = participant


def event_recorded(event: Any) -> None:
    event.effects = {name: p.event_recorded(event) for name, p in _PARTICIPANTS.items()}


def attach(events: Sequence[Any]) -> None:
    for name, participant in _PARTICIPANTS.items():
        by_event = participant.event_effects(events)
        for event in events:
            event.effects = {
                **(getattr(event, "effects", None) or {}),
                name: by_event.get(event.pk, []),
            }


def effects(obj: Any, name: str) -> Effects:
    return list((getattr(obj, "effects", None) or {}).get(name, []))
