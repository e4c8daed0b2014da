"""What an erasure clears of a customer's feedback (ADR 0012): the free text they wrote and
what could identify them, while the scores stay, anonymised with the customer row, so that a
survey's results do not move when a customer is erased (as orders keep their amounts).

Cleared: open-text, email and URL answers (in the projection and in the response as sent),
every answer the projection does not type as a score, a choice, a number, a date or a
boolean (comments, calculated variables), hidden fields, metadata, the browser token and the
fingerprint of each response, and the notes of follow-ups about the customer. Kept: scores,
choices, numbers, dates and booleans, their sentiment labels, times and languages."""

from collections import defaultdict
from datetime import datetime

from kizuna.customers.models import Customer
from kizuna.feedback.models import Answer, AnswerKind, FollowUp, Response

FREE_TEXT = (AnswerKind.TEXT, AnswerKind.EMAIL, AnswerKind.URL)


def erase_feedback(customer: Customer, erased_at: datetime) -> None:
    kept: dict[int, set[str]] = defaultdict(set)
    typed = Answer.objects.filter(customer=customer).exclude(kind__in=FREE_TEXT)
    for response_id, element_id in typed.values_list("response_id", "element_id"):
        kept[response_id].add(element_id)
    responses = list(
        Response.objects.filter(customer=customer).only("pk", "answers", "data").order_by("pk")
    )
    for response in responses:
        keep = kept.get(response.pk, set())
        response.answers = {k: v for k, v in (response.answers or {}).items() if k in keep}
        response.data = {k: v for k, v in (response.data or {}).items() if k in keep}
        response.hidden = {}
        response.meta = {}
        response.browser_token = ""
        response.fingerprint = ""
    Response.objects.bulk_update(
        responses,
        ["answers", "data", "hidden", "meta", "browser_token", "fingerprint"],
        batch_size=500,
    )
    Answer.objects.filter(customer=customer, kind__in=FREE_TEXT).update(text="")
    FollowUp.objects.filter(customer=customer).update(notes=[], updated_at=erased_at)


def register() -> None:
    from kizuna.customers.services import erasure

    erasure.register_scrubber(erase_feedback)
