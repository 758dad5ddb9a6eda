"""What an import reports: one :class:`RowResult` per row, an :class:`ImportSummary`,
and the CSV report written as results arrive."""
from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .rows import InputError

__all__ = ["STATUSES", "UNCERTAIN", "VALID", "REPORT_COLUMNS", "RowResult", "ImportSummary", "ReportWriter"]

STATUSES = ("created", "updated", "unchanged", "failed", "skipped")
#: the status of a row whose write may or may not have been applied (a lost answer)
UNCERTAIN = "uncertain"
#: uncertain or skipped rows a summary keeps to name them
UNSETTLED_SHOWN = 50
#: the status of a row that passed ``dry_run`` validation
VALID = "valid"
REPORT_COLUMNS = ("row", "line", "status", "id", "key", "error_code", "error_field", "message")


@dataclass(frozen=True)
class RowResult:
    """The outcome of one input row.

    ``row`` counts records from 1 (the first record after a CSV header);
    ``line`` is where it starts in the file. Failures carry the API's error
    ``error_code`` and ``error_field`` (a JSON pointer or attribute name) and
    a readable ``message``. ``from_journal`` marks rows a resumed run took
    from the journal instead of sending them.
    """

    row: int
    status: str
    id: Any = None
    key: Any = None
    error_code: str | None = None
    error_field: str | None = None
    message: str | None = None
    line: int | None = None
    attempts: int = 0
    from_journal: bool = False
    uncertain: bool = False

    def as_row(self) -> dict[str, Any]:
        return {"row": self.row, "line": self.line, "status": self.status, "id": self.id,
                "key": self.key, "error_code": self.error_code,
                "error_field": self.error_field, "message": self.message}


@dataclass
class ImportSummary:
    """Counts per status and what the run cost."""

    resource: str
    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    dry_run: bool = False
    #: requests sent and 429 answers seen during the run (all threads of the client)
    requests: int = 0
    rate_limited: int = 0
    #: rows taken from the journal of an earlier run
    resumed: int = 0
    journal: str | None = None
    report: str | None = None
    #: the key lookup strategy of the run (``prefetch``, ``none``...), when it had a key
    lookup: str | None = None
    #: rows whose write may or may not have been applied (this run's or an earlier one's)
    uncertain: int = 0
    #: the first uncertain or skipped rows, to name them at the end (bounded: memory stays flat)
    unsettled: list[RowResult] = field(default_factory=list)
    unsettled_rows: int = 0

    def add(self, result: RowResult) -> None:
        """Count one row's result."""
        self.rows += 1
        self.counts[result.status] += 1
        if result.from_journal:
            self.resumed += 1
        if result.uncertain or result.status == UNCERTAIN:
            self.uncertain += 1
        if result.uncertain or result.status in (UNCERTAIN, "skipped"):
            self.unsettled_rows += 1
            if len(self.unsettled) < UNSETTLED_SHOWN:
                self.unsettled.append(result)

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    @property
    def ok(self) -> bool:
        """True when every row succeeded: none failed, uncertain or skipped, not interrupted."""
        return not (self.failed or self.counts[UNCERTAIN] or self.counts["skipped"]
                    or self.interrupted)

    @property
    def rows_per_second(self) -> float:
        return (self.rows - self.resumed) / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        """``"2000 rows: 1990 created, 3 updated, 2 unchanged, 5 failed, 0 skipped in 20.1 s"``."""
        names: tuple[str, ...] = (VALID, "failed", "skipped") if self.dry_run else STATUSES
        if self.counts[UNCERTAIN]:
            names += (UNCERTAIN,)
        parts = ", ".join(f"{self.counts[n]} {n}" for n in names)
        text = f"{self.rows} row{'' if self.rows == 1 else 's'}: {parts} in {self.elapsed:.1f} s"
        if self.resumed:
            text += f" ({self.resumed} from the journal)"
        if self.interrupted:
            text += " (interrupted)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "rows": self.rows, "counts": dict(self.counts),
                "elapsed": round(self.elapsed, 3), "interrupted": self.interrupted,
                "requests": self.requests, "rate_limited": self.rate_limited,
                "resumed": self.resumed}


class ReportWriter:
    """Writes one CSV line per :class:`RowResult`, as results arrive (in input order)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fh = open(path, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write the report {path}: {exc.strerror or exc}") from None
        self._writer = csv.DictWriter(self._fh, REPORT_COLUMNS)
        self._writer.writeheader()
        self._count = 0

    def __call__(self, result: RowResult) -> None:
        self._writer.writerow(result.as_row())
        self._count += 1
        if self._count % 500 == 0:
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()
