def text_themes(text: str, language: str) -> list[str]:
    return []
