"""Row locks of the insights app: one helper per model, taken before deciding."""

from kizuna.core.models import Workspace
from kizuna.insights.errors import SegmentNotFound
from kizuna.insights.models import Segment


def lock_segment(workspace: Workspace, key: str) -> Segment:
    """The segment, locked until the end of the transaction: refreshes and changes of one
    segment run one after the other."""
    segment = Segment.objects.for_workspace(workspace).select_for_update().filter(key=key).first()
    if segment is None:
        raise SegmentNotFound(f"No segment {key!r}.", field="segment_id")
    return segment


def lock_segment_by_pk(segment_pk: int) -> Segment | None:
    """For tasks, which receive the row's id: None when the segment was deleted since."""
    return (
        Segment.objects.select_for_update(of=("self",))
        .select_related("workspace")
        .filter(pk=segment_pk)
        .first()
    )
