"""Survey results (GET /surveys/{survey_id}/results; docs/survey-results.md, ADR 0027).

- `statistics`: scores, intervals and tests from counts; Student's t without scipy.
- `queries`: the sufficient statistics grouped in SQL from the answer rows.
- `rollup`: the daily counts kept by `apply_answers`, read for ranges of whole days.
- `metrics`: each element's metric from the counts.
- `periods`: the range, the previous range and the periods, in the survey's time zone.
- `filters`: the customers a `segment` (registered by insights) or a `condition` keeps."""
