"""The Firehose API v3: a resumable, at-least-once change stream of every create,
update and delete (``client.firehose``). See the "Firehose" guide."""
from .checkpoints import (
    CheckpointStore,
    FileCheckpointStore,
    MemoryCheckpointStore,
    SqliteCheckpointStore,
    open_store,
)
from .consumer import DEFAULT_NAME, EventIdFilter, FirehoseService, Page, Stream
from .errors import CheckpointStoreError, PositionError, PositionExpiredError
from .events import CREATED, DELETED, UPDATED, Event
from .mirror import FirehoseMirror, FirehoseSink, MirrorSummary

__all__ = [
    "CREATED", "DEFAULT_NAME", "DELETED", "UPDATED", "CheckpointStore", "CheckpointStoreError",
    "Event", "EventIdFilter", "FirehoseMirror", "FirehoseSink", "MirrorSummary", "FileCheckpointStore", "FirehoseService", "MemoryCheckpointStore",
    "Page", "PositionError", "PositionExpiredError", "SqliteCheckpointStore", "Stream",
    "open_store",
]
