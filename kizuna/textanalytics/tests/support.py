"""A stand-in analyzer for tests of the analyzer setting: it shows that callers reach
whatever class `KIZUNA_TEXT_ANALYZER` names."""

from collections.abc import Sequence

from kizuna.textanalytics.analysis import Analysis, TextIn


class FixedAnalyzer:
    def analyze(self, texts: Sequence[TextIn]) -> list[Analysis]:
        return [
            Analysis(
                id=t.id,
                language=t.language or "en",
                sentiment="neutral",
                score=0.0,
                themes=["fixed"],
            )
            for t in texts
        ]
