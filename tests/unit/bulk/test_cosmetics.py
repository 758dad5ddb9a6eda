"""Messages stay readable on absurd input: one note for a million stray columns,
a bad journal line named with its file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from basecrm_like.bulk.journal import Journal, JournalError
from basecrm_like.bulk.mapping import ColumnMapper
from basecrm_like.catalog import CATALOG


def test_many_unknown_columns_make_one_note() -> None:
    columns = ["last_name", *(f"col{i}" for i in range(20_000))]
    notes = ColumnMapper(CATALOG["contacts"]).header_notes(columns)
    assert len(notes) == 1
    assert notes[0].startswith("20000 columns are not attributes")
    assert "'col0'" in notes[0] and "'col19999'" not in notes[0]


def test_a_few_unknown_columns_keep_a_note_each() -> None:
    notes = ColumnMapper(CATALOG["contacts"]).header_notes(["last_name", "nick", "nik2"])
    assert len(notes) == 2


@pytest.mark.parametrize("line", [{"r": "x", "s": "created"}, {"r": 1, "s": ["created"]},
                                  {"r": None, "s": "created"}])
def test_bad_journal_line_names_the_file_and_line(tmp_path: Path, line: dict) -> None:
    path = tmp_path / "import.journal"
    with Journal(str(path), {"resource": "contacts"}) as journal:
        journal.finish({})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    with pytest.raises(JournalError) as info:
        Journal(str(path), {"resource": "contacts"}, resume=True)
    assert str(path) in str(info.value) and "line 3" in str(info.value)
