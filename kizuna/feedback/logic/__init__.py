"""Survey logic in one place: what a respondent sees, must answer and may answer, given the
answers so far (`POST /surveys/{survey_id}/evaluate`, the hosted page, the widget, and the
checks of a submitted response all ask it)."""
