"""The append-only import journal that makes resuming possible."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from basecrm_like.bulk import Journal, JournalEntry, JournalError

META = {"resource": "contacts", "key": "email"}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_outcomes_are_written_as_they_come(tmp_path: Path) -> None:
    path = tmp_path / "j"
    with Journal(str(path), META) as j:
        j.record(1, JournalEntry("created", 10, "h1"))
        j.record(2, JournalEntry("failed", None, "h2", "blank", "/last_name", "can't be blank"))
        # readable before close: a killed process loses nothing written
        assert [item.get("r") for item in lines(path)] == [None, 1, 2]
    items = lines(path)
    assert items[0]["journal"] == 1 and items[0]["resource"] == "contacts"
    assert items[2] == {"r": 2, "s": "failed", "h": "h2", "c": "blank", "f": "/last_name",
                        "m": "can't be blank"}


def test_resume_knows_which_rows_are_done(tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    with Journal(path, META) as j:
        j.record(1, JournalEntry("created", 10, "h1"))
        j.record(2, JournalEntry("failed", None, "h2"))
        j.record(3, JournalEntry("unchanged", 12, "h3"))
        j.pending(4, "h4")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"r": 5, "s": "crea')          # torn by a crash
    j = Journal(path, META, resume=True)
    try:
        first = j.done(1, "h1")
        assert first is not None and first.id == 10
        assert j.done(2, "h2") is None           # failed rows are tried again
        assert j.done(3, "changed") is None      # the row changed since
        pending = j.done(4, "h4")
        assert pending is not None and pending.status == "pending"
        assert j.done(5, "h5") is None
    finally:
        j.close()


def test_an_unfinished_journal_is_not_overwritten_without_resume(tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    Journal(path, META).close()
    with pytest.raises(JournalError, match="--resume"):
        Journal(path, META)


def test_a_finished_journal_is_replaced_by_a_new_run(tmp_path: Path) -> None:
    path = tmp_path / "j"
    with Journal(str(path), META) as j:
        j.record(1, JournalEntry("created", 1, "h"))
        j.finish({"rows": 1})
    with Journal(str(path), META) as j:
        assert j.entries == {}
    assert len(lines(path)) == 1


def test_resume_checks_the_run_matches(tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    Journal(path, META).close()
    with pytest.raises(JournalError, match="key"):
        Journal(path, {"resource": "contacts", "key": None}, resume=True)
    with pytest.raises(JournalError, match="nothing to resume"):
        Journal(str(tmp_path / "other"), META, resume=True)


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.csv.journal"
    path.write_text("row,status\n", encoding="utf-8")
    with pytest.raises(JournalError, match="not an import journal"):
        Journal(str(path), META, resume=True)


def test_fsync_runs_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    with Journal(str(tmp_path / "j"), META, fsync_every=50, fsync_interval=3600) as j:
        calls.clear()
        for row in range(1, 101):
            j.record(row, JournalEntry("created", row, "h"))
        assert len(calls) == 2
