"""HTTP handler of text analytics: parse, call the service, present."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kizuna.core.schemas import with_errors
from kizuna.textanalytics import schemas, services
from kizuna.textanalytics.analysis import Analysis, TextIn

# Mounted by kizuna.api at /v1/text with server-key auth: analysis costs CPU and reveals
# nothing a browser needs, so publishable keys may not call it.
text_router = Router(tags=["text analytics"])


def analysis_out(result: Analysis) -> dict[str, Any]:
    return {
        "id": result.id,
        "language": result.language,
        "sentiment": result.sentiment,
        "score": result.score,
        "themes": result.themes,
    }


@text_router.post("/analyze", response=with_errors({200: schemas.AnalyzeOut}))
def analyze(request: HttpRequest, payload: schemas.AnalyzeIn) -> dict[str, Any]:
    """Sentiment (positive, negative, neutral or mixed), a score from -1 to 1 and themes of
    up to 100 texts in English, Japanese or Korean. Nothing is stored."""
    texts = [TextIn(id=t.id, text=t.text, language=t.language) for t in payload.texts]
    return {"results": [analysis_out(r) for r in services.analyze_texts(texts)]}
