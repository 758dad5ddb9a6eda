"""Sync API: the wire calls, the Sync (ACK/NACK) driver, the device file and a SQLite mirror.

``basecrm_like.sync`` is where code written for the official client imports
``Sync`` and ``SyncService`` from; each job lives in a module of its own:

- :mod:`.wire`: :class:`SyncService`, the ``start``/``fetch``/``ack`` calls;
- :mod:`.driver`: :class:`Sync`, which drains the queue and acknowledges;
- :mod:`.device`: the file keeping a device's UUID between runs;
- :mod:`.base`: :class:`Mirror`, which opens a mirror by URL (file, ``sqlite:///``,
  ``postgresql://``);
- :mod:`.mirror`: :class:`SqliteMirror`, a local copy of the account (standard library);
- :mod:`.postgres`: :class:`PostgresMirror` (the ``postgres`` extra).
"""
from .base import Mirror, MirrorBusyError, MirrorError, Rejection
from .device import DeviceFileError
from .driver import Sink, SinkError, Sync, SyncClient, SyncSummary
from .mirror import SqliteMirror, UnknownTableError
from .postgres import PostgresMirror
from .wire import DEVICE_HEADER, SyncService

__all__ = [
    "DEVICE_HEADER", "DeviceFileError", "Mirror", "MirrorBusyError", "MirrorError",
    "PostgresMirror", "Rejection", "Sink", "SinkError", "SqliteMirror", "Sync", "SyncClient", "SyncService",
    "SyncSummary", "UnknownTableError",
]
