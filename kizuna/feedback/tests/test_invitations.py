"""Email invitations through a real SMTP server on loopback: both parts in the customer's
language, the personal link, the unsubscribe link, the one reminder, failed sends retried
without sending twice (docs/survey-distribution.md, "Invitations")."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from conftest import ApiClient, SmtpInbox
from kizuna.core import clock
from kizuna.core.errors import KizunaError
from kizuna.customers.models import Consent, ConsentChange
from kizuna.feedback.models import Contact, FatigueCount, Invitation, SurveyLink
from kizuna.feedback.services import invitations, links
from kizuna.feedback.tasks import InvitationsFailed, send_invitations
from kizuna.feedback.tests.response_support import answer, published
from kizuna.feedback.tests.support import assert_error

INVITE = "/surveys/relationship/invitations"
URL = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+")
UNSUBSCRIBE = re.compile(r"https?://\S+/u/([A-Za-z0-9_-]+)")


def customer(api: ApiClient, external_id: str, consent: str | None = "granted", **profile: Any):
    body: dict[str, Any] = {"email": f"{external_id}@example.com", **profile}
    if consent is not None:
        body["consents"] = {"surveys": {"status": consent}}
    assert api.put(f"/customers/{external_id}", body).status_code in (200, 201)


def invite(api: ApiClient, *ids: str, **body: Any) -> dict[str, Any]:
    queued = api.post(INVITE, {"customer_ids": list(ids), **body})
    assert queued.status_code == 202, queued.data
    return dict(queued.data)


def parts(message: Any) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_an_invitation_in_the_customers_language(
    api: ApiClient, smtp_server: SmtpInbox, workspace: Any
) -> None:
    published(api)
    customer(api, "cust-ja", locale="ja-JP", first_name="Hana")
    customer(api, "cust-none", email="")
    customer(api, "cust-denied", consent="denied")
    customer(api, "cust-unasked", consent=None)
    queued = invite(api, "cust-ja", "cust-none", "cust-denied", "cust-unasked")
    assert {k: queued[k] for k in ("queued", "throttled", "no_email", "no_consent")} == {
        "queued": 1,
        "throttled": 0,
        "no_email": 1,
        "no_consent": 2,
    }
    assert smtp_server.messages == []  # sent in the background
    assert invitations.send_waiting(queued["id"]) == (1, 0)
    (message,) = smtp_server.messages
    assert message["To"] == "cust-ja@example.com"
    assert message["Subject"] == f"{workspace.workspace.name}からアンケートのお願い"
    assert message["Content-Language"] == "ja"
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    assert "Hana 様" in body["text/plain"] and "アンケートに回答する" in body["text/html"]
    url = URL.search(body["text/plain"])
    assert url is not None and url.group(0) in body["text/html"]
    assert url.group(0).startswith(f"{settings.KIZUNA_PUBLIC_URL}/s/")
    link = links.resolve(url.group(0).rsplit("/", 1)[1], clock.now())
    assert link.customer is not None and link.customer.external_id == "cust-ja"
    assert (link.kind, link.survey.key) == ("personal", "relationship")
    token = UNSUBSCRIBE.search(body["text/plain"])
    assert token is not None
    assert message["List-Unsubscribe"] == f"<{token.group(0)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    row = Invitation.objects.get()
    assert (row.status, row.language, row.attempts) == ("sent", "ja", 1)
    assert row.sent_at is not None and row.remind_at == row.sent_at + timedelta(days=3)
    assert Contact.objects.filter(kind="invitation", channel="email").count() == 1
    # Sent once: a second run finds nothing waiting.
    assert invitations.send_waiting() == (0, 0)
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("locale", "subject"), [("ko", "설문 참여 요청"), ("fr", "would like your opinion")]
)
def test_the_language_falls_back_to_the_survey(
    api: ApiClient, smtp_server: SmtpInbox, locale: str, subject: str
) -> None:
    published(api)
    customer(api, "cust-1", locale=locale)
    invitations.send_waiting(invite(api, "cust-1")["id"])
    assert subject in smtp_server.messages[0]["Subject"]


def test_unsubscribing_withdraws_the_consent_once(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api)
    customer(api, "cust-1")
    invitations.send_waiting(invite(api, "cust-1")["id"])
    token = UNSUBSCRIBE.search(parts(smtp_server.messages[0])["text/plain"])
    assert token is not None
    done = invitations.unsubscribe(token.group(1))
    assert (done.customer.external_id, done.survey.key, done.changed) == (
        "cust-1",
        "relationship",
        True,
    )
    assert Consent.objects.get(channel="surveys").status == "denied"
    change = ConsentChange.objects.filter(channel="surveys").latest("pk")
    assert (change.status, change.previous_status, change.source) == (
        "denied",
        "granted",
        "unsubscribe_link",
    )
    again = invitations.unsubscribe(token.group(1))
    assert again.changed is False
    assert ConsentChange.objects.filter(channel="surveys", status="denied").count() == 1
    # Not invited again, and no reminder.
    later = invite(api, "cust-1")
    assert (later["queued"], later["no_consent"]) == (0, 1)
    with clock.at(clock.now() + timedelta(days=4)):
        assert invitations.send_reminders() == (0, 0)
    assert len(smtp_server.messages) == 1
    with pytest.raises(KizunaError) as missing:
        invitations.unsubscribe("nope")
    assert (missing.value.status, missing.value.code) == (404, "unsubscribe_not_found")


def test_consent_withdrawn_before_sending_skips(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api)
    customer(api, "cust-1")
    batch = invite(api, "cust-1")["id"]
    customer(api, "cust-1", consent="denied")
    assert invitations.send_waiting(batch) == (1, 0)
    assert smtp_server.messages == []
    assert Invitation.objects.values_list("status", "reason").get() == ("skipped", "no_consent")


def test_one_reminder_only_when_unanswered(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api)
    customer(api, "cust-1")
    customer(api, "cust-2")
    customer(api, "cust-3")
    invitations.send_waiting(invite(api, "cust-1", "cust-2")["id"])
    invitations.send_waiting(invite(api, "cust-3", remind_after_days=0)["id"])
    assert len(smtp_server.messages) == 3
    # cust-2 answers through its link.
    link = SurveyLink.objects.get(customer__external_id="cust-2")
    saved = api.post(
        "/surveys/relationship/responses", answer("sub-2", link_token=link.token, finished=True)
    )
    assert saved.status_code == 201, saved.data
    answered = Invitation.objects.get(customer__external_id="cust-2")
    assert answered.response is not None and answered.response.key == saved.data["id"]
    with clock.at(clock.now() + timedelta(days=2)):
        assert invitations.send_reminders() == (0, 0)  # not due yet
    with clock.at(clock.now() + timedelta(days=3, minutes=1)):
        assert invitations.send_reminders() == (1, 0)
        assert invitations.send_reminders() == (0, 0)
    with clock.at(clock.now() + timedelta(days=30)):
        assert invitations.send_reminders() == (0, 0)
    reminder = smtp_server.messages[-1]
    assert len(smtp_server.messages) == 4
    assert (reminder["To"], reminder["Subject"].startswith("Reminder:")) == (
        "cust-1@example.com",
        True,
    )
    # The reminder carries the same link.
    first = URL.search(parts(smtp_server.messages[0])["text/plain"])
    again = URL.search(parts(reminder)["text/plain"])
    assert first is not None and again is not None and first.group(0) == again.group(0)
    reminded = Invitation.objects.get(customer__external_id="cust-1")
    assert reminded.reminded_at is not None


def test_a_refused_send_fails_and_is_retried_once(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api)
    customer(api, "cust-1")
    customer(api, "cust-2")
    batch = invite(api, "cust-1", "cust-2")["id"]
    smtp_server.refusing = True
    with pytest.raises(InvitationsFailed):
        send_invitations.call(batch)
    rows = list(Invitation.objects.order_by("pk").values_list("status", "attempts"))
    assert rows == [("failed", 1), ("failed", 1)]
    assert Invitation.objects.exclude(last_error="").count() == 2
    smtp_server.refusing = False
    assert send_invitations.call(batch) == 2  # the task's retry
    assert invitations.send_waiting() == (0, 0)  # the job's run finds nothing more
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "cust-1@example.com",
        "cust-2@example.com",
    ]
    final = list(Invitation.objects.order_by("pk").values_list("status", "attempts", "last_error"))
    assert final == [("sent", 2, ""), ("sent", 2, "")]


def test_after_three_refusals_an_invitation_rests(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api)
    customer(api, "cust-1")
    batch = invite(api, "cust-1")["id"]
    smtp_server.refusing = True
    for _ in range(invitations.MAX_ATTEMPTS + 1):
        invitations.send_waiting(batch)
    assert Invitation.objects.values_list("status", "attempts").get() == ("failed", 3)


def test_the_recontact_policy_throttles_and_counts(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api, recontact={"policy": "once"})
    customer(api, "cust-1")
    customer(api, "cust-2")
    invitations.send_waiting(invite(api, "cust-1")["id"])
    again = invite(api, "cust-1", "cust-2")
    assert (again["queued"], again["throttled"]) == (1, 1)
    invitations.send_waiting(again["id"])
    assert [m["To"] for m in smtp_server.messages] == ["cust-1@example.com", "cust-2@example.com"]
    throttled = Invitation.objects.get(status="throttled")
    assert (throttled.customer.external_id, throttled.reason, throttled.link) == (
        "cust-1",
        "recontact",
        None,
    )
    count = FatigueCount.objects.get()
    assert (count.kind, count.channel, count.reason, count.count) == (
        "invitation",
        "email",
        "recontact",
        1,
    )
    fatigue = api.get("/surveys/relationship/fatigue")
    assert fatigue.status_code == 200, fatigue.data
    assert (fatigue.data["invitations_throttled"], fatigue.data["displays_throttled"]) == (1, 0)
    assert fatigue.data["data"][0]["reason"] == "recontact"


def test_a_segment_is_invited(api: ApiClient, smtp_server: SmtpInbox) -> None:
    published(api)
    customer(api, "cust-1", attributes={"city": "Osaka"})
    customer(api, "cust-2", attributes={"city": "Kyoto"})
    condition = {"field": "customer.attributes.city", "op": "eq", "value": "Osaka"}
    body = {"id": "osaka", "name": "Osaka", "condition": condition}
    assert api.post("/segments", body).status_code == 201
    queued = api.post(INVITE, {"segment": "osaka"})
    assert (queued.status_code, queued.data["queued"]) == (202, 1)
    invitations.send_waiting(queued.data["id"])
    assert [m["To"] for m in smtp_server.messages] == ["cust-1@example.com"]


def test_refused_invitations_queue_nothing(api: ApiClient, browser_api: ApiClient) -> None:
    assert api.post("/surveys", {**published_body()}).status_code == 201
    customer(api, "cust-1")
    assert_error(
        api.post(INVITE, {"customer_ids": ["cust-1"]}), 409, "survey_not_active", "survey_id"
    )
    assert api.post("/surveys/relationship/publish").status_code == 200
    assert_error(api.post(INVITE, {}), 422, "required", "customer_ids")
    assert_error(
        api.post(INVITE, {"customer_ids": ["cust-1"], "segment": "x"}),
        422,
        "required",
        "customer_ids",
    )
    assert_error(
        api.post(INVITE, {"customer_ids": ["cust-1"], "remind_after_days": 61}),
        422,
        "out_of_range",
        "remind_after_days",
    )
    assert_error(
        api.post(INVITE, {"customer_ids": ["cust-1", "ghost"]}),
        404,
        "customer_not_found",
        "customer_ids.1",
    )
    assert_error(api.post(INVITE, {"segment": "ghost"}), 422, "segment_not_found", "segment")
    assert browser_api.post(INVITE, {"customer_ids": ["cust-1"]}).status_code in (401, 403)
    assert Invitation.objects.count() == 0 and SurveyLink.objects.count() == 0


def published_body() -> dict[str, Any]:
    from kizuna.feedback.tests.support import survey_body

    return survey_body()


def test_the_scheduled_job_sends_what_waits_and_the_reminders(
    api: ApiClient, smtp_server: SmtpInbox
) -> None:
    from kizuna.core.schedule import JOBS
    from kizuna.feedback import jobs

    assert JOBS["survey_invitations"].func is jobs.send_invitations
    published(api)
    customer(api, "cust-1")
    invite(api, "cust-1", remind_after_days=1)  # its task is lost: the job sends it
    assert jobs.send_invitations() == (
        "sent 1 invitation(s), 0 failed; sent 0 reminder(s), 0 failed"
    )
    with clock.at(clock.now() + timedelta(days=1, minutes=1)):
        assert jobs.send_invitations() == (
            "sent 0 invitation(s), 0 failed; sent 1 reminder(s), 0 failed"
        )
        assert jobs.send_invitations().endswith("sent 0 reminder(s), 0 failed")
    assert len(smtp_server.messages) == 2


def test_an_erased_customer_is_not_emailed_and_the_link_stops(
    api: ApiClient, smtp_server: SmtpInbox
) -> None:
    published(api)
    customer(api, "cust-1")
    customer(api, "cust-2")
    invitations.send_waiting(invite(api, "cust-1")["id"])
    link = SurveyLink.objects.get(customer__external_id="cust-1")
    smtp_server.refusing = True
    invitations.send_waiting(invite(api, "cust-2")["id"])  # refused: failed, with its error
    assert api.post("/customers/cust-1/erase").status_code == 200
    assert api.post("/customers/cust-2/erase").status_code == 200
    with pytest.raises(KizunaError) as gone:
        links.resolve(link.token, clock.now())
    assert (gone.value.status, gone.value.code) == (410, "link_expired")
    assert list(Invitation.objects.order_by("pk").values_list("status", "last_error")) == [
        ("sent", ""),
        ("skipped", ""),
    ]
