"""Progress lines on stderr when it is not a terminal (as under pytest)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from basecrm_like.cli.progress import Progress, RowProgress, SyncProgress


@pytest.fixture
def every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Progress, "LINE_EVERY", 0.0)


def test_a_line_is_due_only_every_line_every_seconds() -> None:
    progress = Progress(True)
    assert not progress.line_due()
    progress.last_line -= Progress.LINE_EVERY
    assert progress.line_due() and not progress.line_due()


def test_rows_line_counts_failures_and_shows_an_eta(every_call: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    progress = RowProgress(True, total=4, label="importing contacts")
    progress(SimpleNamespace(status="created"))
    progress(SimpleNamespace(status="failed"))
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("importing contacts: 2/~4 rows, ")
    assert " rows/s, 1 failed, ETA " in lines[-1]


def test_disabled_progress_counts_but_prints_nothing(every_call: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    progress = RowProgress(False, total=None, label="checking contacts")
    progress(SimpleNamespace(status="failed"))
    progress.close()
    assert (progress.done, progress.failed) == (1, 1) and capsys.readouterr().err == ""


def test_sync_line_names_the_biggest_types(every_call: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    summary = SimpleNamespace(seen=7, estimated_total=None, pages=1,
                              by_type={"deal": 3, "lead": 2, "user": 1, "tag": 1})
    SyncProgress(True)(summary)
    assert capsys.readouterr().err == "sync: 7 items, 1 pages (deal=3 lead=2 tag=1 user=1)\n"


def test_export_line_counts_records_and_their_speed(every_call: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from basecrm_like.cli.progress import RecordProgress

    progress = RecordProgress(True, "exporting deals")
    for done in range(1, 4):
        progress(done)
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("exporting deals: 3 records, ") and lines[-1].endswith(
        " records/s")
