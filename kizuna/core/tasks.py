from django.tasks import task

from kizuna.core import events


@task()
def dispatch_outbox_event(event_id: str) -> bool:
    return events.dispatch(event_id)
