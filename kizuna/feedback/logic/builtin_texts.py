"""The texts Kizuna shows around a survey's own texts: buttons, progress, yes and no, and a
message per validation error code, in English, Japanese and Korean.

Placeholders in braces are filled by the evaluator: `{n}` and `{total}` in the progress,
`{min}` and `{max}` in the messages of `out_of_range`, `too_short` and `too_long`. Any other
served language gets the English texts (`ui_language` names the language of the texts)."""

from typing import Final

UI_LANGUAGES: Final = ("en", "ja", "ko")
FALLBACK: Final = "en"

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "start": "Start",
        "next": "Next",
        "back": "Back",
        "submit": "Submit",
        "progress": "Page {n} of {total}",
        "yes": "Yes",
        "no": "No",
        "other": "Other",
        "select": "Select...",
        "thank_you": "Thank you for your answers!",
        "error.required": "Please answer this question.",
        "error.invalid_type": "This answer does not fit the question.",
        "error.invalid_choice": "Please choose one of the options shown.",
        "error.out_of_range": "Please give a value from {min} to {max}.",
        "error.too_short": "Please write at least {min} characters.",
        "error.too_long": "Please write at most {max} characters.",
        "error.invalid_format": "Please check the format of this answer.",
        "error.invalid_email": "Please enter a valid email address.",
        "error.invalid_number": "Please enter a number.",
        "error.invalid_url": "Please enter a web address starting with http:// or https://.",
        "error.invalid_date": "Please enter a date.",
        "error.other_text_required": "Please tell us more about your other answer.",
        "error.unknown_element": "This survey has no such question.",
        "error.not_visible": "This question is not shown for your answers.",
        "error.disabled": "This question cannot be answered now.",
    },
    "ja": {
        "start": "開始",
        "next": "次へ",
        "back": "戻る",
        "submit": "送信",
        "progress": "{n} / {total} ページ",
        "yes": "はい",
        "no": "いいえ",
        "other": "その他",
        "select": "選択してください",
        "thank_you": "ご回答ありがとうございました。",
        "error.required": "この質問にお答えください。",
        "error.invalid_type": "この回答は質問に合いません。",
        "error.invalid_choice": "表示されている選択肢から選んでください。",
        "error.out_of_range": "{min}から{max}までの値を入力してください。",
        "error.too_short": "{min}文字以上で入力してください。",
        "error.too_long": "{max}文字以内で入力してください。",
        "error.invalid_format": "回答の形式をご確認ください。",
        "error.invalid_email": "正しいメールアドレスを入力してください。",
        "error.invalid_number": "数値を入力してください。",
        "error.invalid_url": "http:// または https:// で始まるアドレスを入力してください。",
        "error.invalid_date": "日付を入力してください。",
        "error.other_text_required": "「その他」の内容をご記入ください。",
        "error.unknown_element": "このアンケートにこの質問はありません。",
        "error.not_visible": "この質問はあなたの回答では表示されません。",
        "error.disabled": "この質問には今は回答できません。",
    },
    "ko": {
        "start": "시작",
        "next": "다음",
        "back": "이전",
        "submit": "제출",
        "progress": "{total}페이지 중 {n}페이지",
        "yes": "예",
        "no": "아니요",
        "other": "기타",
        "select": "선택하세요",
        "thank_you": "응답해 주셔서 감사합니다.",
        "error.required": "이 질문에 답해 주세요.",
        "error.invalid_type": "이 답변은 질문에 맞지 않습니다.",
        "error.invalid_choice": "표시된 선택지 중에서 골라 주세요.",
        "error.out_of_range": "{min}에서 {max} 사이의 값을 입력해 주세요.",
        "error.too_short": "{min}자 이상 입력해 주세요.",
        "error.too_long": "{max}자 이하로 입력해 주세요.",
        "error.invalid_format": "답변의 형식을 확인해 주세요.",
        "error.invalid_email": "올바른 이메일 주소를 입력해 주세요.",
        "error.invalid_number": "숫자를 입력해 주세요.",
        "error.invalid_url": "http:// 또는 https://로 시작하는 주소를 입력해 주세요.",
        "error.invalid_date": "날짜를 입력해 주세요.",
        "error.other_text_required": "기타 답변의 내용을 입력해 주세요.",
        "error.unknown_element": "이 설문에는 해당 질문이 없습니다.",
        "error.not_visible": "이 질문은 귀하의 답변에 따라 표시되지 않습니다.",
        "error.disabled": "이 질문은 지금 답할 수 없습니다.",
    },
}


def ui_language(served: str) -> str:
    """The language of the built-in texts for a served language tag: its primary language
    when Kizuna ships it (`ja-JP` -> `ja`), English otherwise."""
    primary = served.split("-", 1)[0].lower()
    return primary if primary in TEXTS else FALLBACK


def ui_texts(served: str) -> dict[str, str]:
    return dict(TEXTS[ui_language(served)])


def message(code: str, served: str, **params: object) -> str:
    """The message of an error code in the served language, its placeholders filled."""
    texts = TEXTS[ui_language(served)]
    template = texts.get(f"error.{code}") or TEXTS[FALLBACK].get(f"error.{code}") or code
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
