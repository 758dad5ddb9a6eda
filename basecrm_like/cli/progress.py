"""Progress of long commands on stderr: a tqdm bar on a terminal, a plain line every
few seconds otherwise (a CI log or a file would fill up with bar redraws).

stdout stays free for the command's result, so it can be piped.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

import click


class Progress:
    """The terminal/log switch and the bar's lifetime; subclasses say what a step is."""

    #: seconds between plain lines when stderr is not a terminal
    LINE_EVERY = 5.0

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.started = self.last_line = time.monotonic()

    def open_bar(self, **options: Any) -> Any:
        """The bar, created on first use, when the total it shows may just be known."""
        if self.bar is None:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

            self.bar = tqdm(file=sys.stderr, dynamic_ncols=True, **options)
        return self.bar

    def line_due(self) -> bool:
        """Whether a plain line is due now (and, if so, the next one LINE_EVERY from now)."""
        now = time.monotonic()
        if now - self.last_line < self.LINE_EVERY:
            return False
        self.last_line = now
        return True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class SyncProgress(Progress):
    """Items mirrored so far, by type: the biggest types by name, the long tail summed up."""

    TOP_TYPES = 4

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled)
        self.shown = 0

    def __call__(self, summary: Any) -> None:
        if not self.enabled:
            return
        types = self.describe(summary.by_type)
        if self.tty:
            bar = self.open_bar(total=summary.estimated_total, unit="item", desc="sync")
            bar.set_postfix_str(types, refresh=False)
            bar.update(summary.seen - self.shown)
            self.shown = summary.seen
        elif self.line_due():
            of = f"/~{summary.estimated_total}" if summary.estimated_total else ""
            click.echo(f"sync: {summary.seen}{of} items, {summary.pages} pages ({types})", err=True)

    def describe(self, by_type: Mapping[str, int]) -> str:
        ranked = sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = sorted(ranked[:self.TOP_TYPES])
        rest = sum(n for _, n in ranked[self.TOP_TYPES:])
        return " ".join([f"{t}={n}" for t, n in shown] + ([f"other={rest}"] if rest else []))


class RowProgress(Progress):
    """Rows done, their speed, the failures and (when the row count is known) the ETA."""

    def __init__(self, enabled: bool, total: int | None, label: str) -> None:
        super().__init__(enabled)
        self.total = total
        self.label = label
        self.done = 0
        self.failed = 0

    def __call__(self, result: Any) -> None:
        self.done += 1
        failed = result.status == "failed"
        self.failed += failed
        if not self.enabled:
            return
        if self.tty:
            bar = self.open_bar(total=self.total, unit="row", desc=self.label, smoothing=0.1,
                                postfix={"failed": 0})
            bar.update(1)
            if failed:
                bar.set_postfix(failed=self.failed, refresh=False)
        elif self.line_due():
            speed = self.done / max(self.last_line - self.started, 1e-9)
            of, eta = "", ""
            if self.total:
                of = f"/~{self.total}"
                left = max(self.total - self.done, 0)
                eta = f", ETA {left / speed:.0f} s" if speed > 0 else ""
            click.echo(f"{self.label}: {self.done}{of} rows, {speed:.1f} rows/s, "
                       f"{self.failed} failed{eta}", err=True)


class RecordProgress(Progress):
    """Records written so far and their speed; the total is unknown until the last page."""

    def __init__(self, enabled: bool, label: str) -> None:
        super().__init__(enabled)
        self.label = label
        self.done = 0

    def __call__(self, done: int) -> None:
        step, self.done = done - self.done, done
        if not self.enabled:
            return
        if self.tty:
            self.open_bar(unit="record", desc=self.label).update(step)
        elif self.line_due():
            speed = done / max(self.last_line - self.started, 1e-9)
            click.echo(f"{self.label}: {done} records, {speed:.1f} records/s", err=True)
