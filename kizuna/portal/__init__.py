"""Pages a respondent sees: hosted survey pages, the embeddable widget and its test page."""
