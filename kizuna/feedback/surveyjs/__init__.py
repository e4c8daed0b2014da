"""SurveyJS interoperability: SurveyJS JSON imported as a Kizuna survey (`importer`),
evaluated with SurveyJS's own semantics (`runtime`), and written back (`exporter`).
See docs/surveyjs.md and ADR 0028."""
