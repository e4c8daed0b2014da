from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class SegmentNotFound(NotFound):
    code = "segment_not_found"


class SegmentExists(Conflict):
    code = "segment_exists"


class SegmentNotFoundFilter(ValidationFailed):
    """`GET /customers?segment=` names no segment of the workspace: 422, as for any filter
    value that cannot be used."""

    code = "segment_not_found"
