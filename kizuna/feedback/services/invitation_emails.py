"""The email of a survey invitation and of its reminder: a plain-text and an HTML part in the
customer's language (their locale, else the survey's languages, else its default, as the
evaluator negotiates; texts built in for en, ja and ko, English for any other), naming the
workspace, with the personal link and an unsubscribe link (also in `List-Unsubscribe`, with
one-click unsubscription, RFC 8058)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "{workspace} would like your opinion",
        "reminder_subject": "Reminder: {workspace} would like your opinion",
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "body": "We would be grateful if you could take a few minutes to answer a short "
        "survey from {workspace}.",
        "reminder_body": "A few days ago {workspace} asked for your opinion. If you have a "
        "moment, we would still love to hear from you.",
        "button": "Answer the survey",
        "thanks": "Thank you!",
        "unsubscribe": "Don't want survey emails from {workspace}? Unsubscribe:",
    },
    "ja": {
        "subject": "{workspace}からアンケートのお願い",
        "reminder_subject": "【再送】{workspace}からアンケートのお願い",
        "greeting": "{name} 様",
        "greeting_anonymous": "お客様各位",
        "body": "{workspace}の短いアンケートへのご協力をお願いいたします。数分で回答できます。",
        "reminder_body": "先日{workspace}からお送りしたアンケートへのご回答をお待ちしております。"
        "お時間のあるときにご協力いただければ幸いです。",
        "button": "アンケートに回答する",
        "thanks": "よろしくお願いいたします。",
        "unsubscribe": "{workspace}からのアンケートメールの配信停止はこちら:",
    },
    "ko": {
        "subject": "{workspace} 설문 참여 요청",
        "reminder_subject": "[알림] {workspace} 설문 참여 요청",
        "greeting": "{name}님, 안녕하세요.",
        "greeting_anonymous": "안녕하세요.",
        "body": "잠시 시간을 내어 {workspace}의 짧은 설문에 응답해 주시면 감사하겠습니다.",
        "reminder_body": "며칠 전 {workspace}에서 보내드린 설문에 아직 응답하지 않으셨습니다. "
        "시간이 되실 때 응답해 주시면 감사하겠습니다.",
        "button": "설문 응답하기",
        "thanks": "감사합니다.",
        "unsubscribe": "{workspace}의 설문 이메일 수신을 원하지 않으시면:",
    },
}


def texts_language(served: str) -> str:
    """The built-in texts for a served survey language: its primary language, else en."""
    primary = served.split("-", 1)[0].lower()
    return primary if primary in TEXTS else "en"


def unsubscribe_url(token: str) -> str:
    return f"{settings.KIZUNA_PUBLIC_URL}/u/{token}"


@dataclass(frozen=True)
class Letter:
    to: str
    name: str  # the customer's name, "" when unknown
    workspace: str
    language: str  # the survey language served
    link_url: str
    unsubscribe_token: str
    reminder: bool = False


def message(letter: Letter) -> EmailMultiAlternatives:
    texts = TEXTS[texts_language(letter.language)]
    fill = {"workspace": letter.workspace, "name": letter.name}
    subject = texts["reminder_subject" if letter.reminder else "subject"].format(**fill)
    greeting = texts["greeting" if letter.name else "greeting_anonymous"].format(**fill)
    body = texts["reminder_body" if letter.reminder else "body"].format(**fill)
    unsubscribe = texts["unsubscribe"].format(**fill)
    leave = unsubscribe_url(letter.unsubscribe_token)
    plain = (
        f"{greeting}\n\n{body}\n\n{texts['button']}: {letter.link_url}\n\n{texts['thanks']}\n"
        f"{letter.workspace}\n\n--\n{unsubscribe} {leave}\n"
    )
    html = (
        f'<!DOCTYPE html><html lang="{escape(letter.language)}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>"
        '<body style="font-family:sans-serif;line-height:1.6;color:#1f2328">'
        f"<p>{escape(greeting)}</p><p>{escape(body)}</p>"
        f'<p><a href="{escape(letter.link_url)}" style="display:inline-block;padding:12px 20px;'
        'background:#1a56db;color:#ffffff;border-radius:6px;text-decoration:none">'
        f"{escape(texts['button'])}</a></p>"
        f"<p>{escape(texts['thanks'])}<br>{escape(letter.workspace)}</p>"
        f'<hr><p style="font-size:12px;color:#57606a">{escape(unsubscribe)} '
        f'<a href="{escape(leave)}">{escape(leave)}</a></p></body></html>'
    )
    email = EmailMultiAlternatives(
        subject=subject,
        body=plain,
        to=[letter.to],
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": letter.language,
        },
    )
    email.attach_alternative(html, "text/html")
    return email
