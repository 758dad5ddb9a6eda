"""The import journal: each row's outcome, appended as it completes, so a run can resume.

One JSON object per line. The first line describes the run (resource, key,
input); then one line per finished row (``{"r": 12, "s": "created", "id": 7,
"h": "<fingerprint>"}``), ``pending`` lines written just before a row is
created without a key, and a ``finished`` line at the end of a complete run.

One run holds the journal at a time: it takes an exclusive OS file lock on
it (``flock``) before reading or changing it, and a second run refuses with
a :class:`JournalError` rather than interleave its rows with the first's.

Every line is handed to the operating system as soon as it is written, so a
killed process (SIGKILL) loses nothing that was written; ``fsync`` runs in
batches (every ``fsync_every`` lines or ``fsync_interval`` seconds, and on
close), so a power cut loses at most the last batch. A torn last line is
ignored when the journal is read back.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

try:
    import fcntl
except ImportError:        # pragma: no cover - Windows has no flock
    fcntl = None  # type: ignore[assignment]

from ..http.errors import Error
from ..support.files import fsync_directory

__all__ = ["Journal", "JournalEntry", "JournalError", "default_journal_path"]

FORMAT = 1
#: statuses that mean "this row is done, do not send it again"
DONE = frozenset({"created", "updated", "unchanged", "skipped"})


class JournalError(Error):
    """The journal cannot be used for this run (another run's, unfinished, unreadable)."""


@dataclass(frozen=True)
class JournalEntry:
    status: str
    id: Any = None
    fingerprint: str = ""
    code: str | None = None
    field: str | None = None
    message: str | None = None
    #: the row may or may not exist on the server (a create whose answer was lost)
    uncertain: bool = False


class Journal:
    """An append-only record of row outcomes at ``path``.

    ``meta`` describes the run (at least ``resource`` and ``key``); resuming
    checks that it matches. Without ``resume`` an existing journal of a
    *finished* run is replaced, while an unfinished one raises
    :class:`JournalError`: it holds the only record of what was created, and
    starting over would create those rows again.
    """

    def __init__(self, path: str, meta: dict[str, Any], resume: bool = False,
                 fsync_every: int = 100, fsync_interval: float = 1.0) -> None:
        self.path = path
        self.meta = meta
        self.resume = resume
        self.fsync_every = fsync_every
        self.fsync_interval = fsync_interval
        self.entries: dict[int, JournalEntry] = {}
        self.finished = False
        self._lock = threading.Lock()
        self._unsynced = 0
        self._last_sync = time.monotonic()
        self._fh: IO[str] | None = None
        self._open()

    def __repr__(self) -> str:
        return f"<Journal {self.path} rows={len(self.entries)}>"

    # -- opening -------------------------------------------------------------------------
    def _open(self) -> None:
        if self.resume and not (os.path.exists(self.path) and os.path.getsize(self.path) > 0):
            raise JournalError(f"nothing to resume: no journal at {self.path}; run the import "
                               "without --resume (with the same --report, if any)")
        directory = os.path.dirname(os.path.abspath(self.path))
        created = not os.path.exists(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
            # append mode: opening changes nothing until the lock is held
            self._fh = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None
        try:
            self._lock_file()
            exists = os.path.getsize(self.path) > 0
            if exists:
                header = self._load()
                if self.resume:
                    for name in ("resource", "key"):
                        if header.get(name) != self.meta.get(name):
                            raise JournalError(
                                f"the journal {self.path} was written by an import with {name}="
                                f"{header.get(name)!r}, not {self.meta.get(name)!r}; resume with "
                                "the same options, or delete the journal to start over")
                elif not self.finished:
                    raise JournalError(
                        f"{self.path} holds the journal of an unfinished import of "
                        f"{header.get('resource')}; pass --resume to continue it, or delete the "
                        "file to start over (rows it lists as created would be created again)")
        except BaseException:
            self._fh.close()
            self._fh = None
            if created:
                os.unlink(self.path)
            raise
        append = exists and self.resume
        if append:
            self._write({"resumed": _now()})
        else:
            self._fh.truncate(0)
            self.entries.clear()
            self.finished = False
            self._write({"journal": FORMAT, "started": _now(), **self.meta})
        self.sync()
        if not append:  # a new file: its name must survive a power cut as well as its lines
            fsync_directory(directory)

    def _lock_file(self) -> None:
        """Hold the journal for this run; another run's import of it is refused."""
        if fcntl is None or self._fh is None:
            return
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JournalError(
                f"another import is running with the journal {self.path}; wait for it to end "
                "(two runs at once would send the same rows twice)") from None

    def _load(self) -> dict[str, Any]:
        header: dict[str, Any] = {}
        try:
            with open(self.path, encoding="utf-8", errors="replace") as fh:
                for i, line in enumerate(fh):
                    try:
                        item = json.loads(line)
                    except ValueError:
                        continue              # a line torn by a crash
                    except RecursionError as exc:
                        raise self._bad_line(i, exc) from None
                    if not isinstance(item, dict):
                        continue
                    if i == 0:
                        if item.get("journal") != FORMAT:
                            raise JournalError(f"{self.path} is not an import journal of this "
                                               "version; delete it or pick another --report")
                        header = item
                        continue
                    if "r" in item and "s" in item:
                        try:
                            if not isinstance(item["s"], str):
                                raise TypeError(f"status {item['s']!r:.40} is not a string")
                            self.entries[int(item["r"])] = JournalEntry(
                                item["s"], item.get("id"), item.get("h", ""), item.get("c"),
                                item.get("f"), item.get("m"), bool(item.get("u")))
                        except (TypeError, ValueError, OverflowError) as exc:
                            raise self._bad_line(i, exc) from None
                        self.finished = False
                    elif "finished" in item:
                        self.finished = True
        except OSError as exc:
            raise JournalError(f"cannot read the journal {self.path}: {exc.strerror or exc}") from None
        if not header:
            raise JournalError(f"{self.path} is not an import journal; delete it or pick "
                               "another --report")
        return header

    def _bad_line(self, index: int, exc: BaseException) -> JournalError:
        return JournalError(f"the journal {self.path}, line {index + 1}, is not a journal entry "
                            f"({type(exc).__name__}: {str(exc)[:100]}); was the file edited? "
                            "Restore it, or delete it to start the import over")

    # -- queries -------------------------------------------------------------------------
    def done(self, row: int, fingerprint: str) -> JournalEntry | None:
        """The earlier outcome of ``row`` if it must not be sent again, else None.

        A row is done when it finished with a done status and has not changed
        since (same fingerprint), or when it was being created without a key
        when the earlier run stopped: it may exist, and sending it again could
        make a duplicate.
        """
        entry = self.entries.get(row)
        if entry is None:
            return None
        if entry.status == "pending" or entry.uncertain:
            return entry
        if entry.status in DONE and (not entry.fingerprint or entry.fingerprint == fingerprint):
            return entry
        return None

    # -- writing -------------------------------------------------------------------------
    def pending(self, row: int, fingerprint: str) -> None:
        """Note that ``row`` is about to be created (without a key)."""
        self._write({"r": row, "s": "pending", "h": fingerprint})

    def record(self, row: int, entry: JournalEntry) -> None:
        item: dict[str, Any] = {"r": row, "s": entry.status}
        if entry.id is not None:
            item["id"] = entry.id
        if entry.fingerprint:
            item["h"] = entry.fingerprint
        if entry.code:
            item["c"] = entry.code
        if entry.field:
            item["f"] = entry.field
        if entry.message and entry.status not in ("created", "updated", "unchanged"):
            item["m"] = entry.message[:500]
        if entry.uncertain:
            item["u"] = 1
        self._write(item)

    def finish(self, summary: dict[str, Any]) -> None:
        self._write({"finished": _now(), **summary})
        self.finished = True
        self.sync()

    def _write(self, item: dict[str, Any]) -> None:
        line = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._fh is None:
                raise JournalError(f"the journal {self.path} is closed")
            self._fh.write(line)
            self._fh.flush()                  # to the OS now: survives a killed process
            self._unsynced += 1
            if self._unsynced >= self.fsync_every or \
                    time.monotonic() - self._last_sync >= self.fsync_interval:
                self._sync_locked()

    def sync(self) -> None:
        with self._lock:
            self._sync_locked()

    def _sync_locked(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._sync_locked()
                self._fh.close()
                self._fh = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_journal_path(input_path: str | None, report_path: str | None) -> str:
    """Next to the report when there is one, else next to the input."""
    base = report_path or input_path
    if not base:
        raise JournalError("a journal needs a report or an input path to sit next to")
    return f"{base}.journal"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
