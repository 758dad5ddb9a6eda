"""Reading CSV and JSON Lines into input rows: structure, recovery, encodings, big fields."""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from basecrm_like.bulk import (
    InputError,
    read_csv,
    read_jsonl,
    read_rows,
    scan_file,
)
from basecrm_like.bulk.rows import MAX_RECORD_LINES


def rows_of(text: str) -> list:
    return list(read_csv(io.StringIO(text, newline="")))


# -- CSV structure ----------------------------------------------------------------------
def test_good_rows_are_numbered_from_one_with_their_lines() -> None:
    rows = rows_of("a,b\n1,2\n\n3,4\n")
    assert [(r.number, r.line, r.data, r.error) for r in rows] == [
        (1, 2, {"a": "1", "b": "2"}, None), (2, 4, {"a": "3", "b": "4"}, None)]


def test_quoted_fields_may_span_lines() -> None:
    [row] = rows_of('name,notes\nAda,"line one\nline two"\n')
    assert row.data == {"name": "Ada", "notes": "line one\nline two"}
    assert row.error is None


@pytest.mark.parametrize("line", ["1,2,3", "1"])
def test_wrong_number_of_cells_fails_that_row_only(line: str) -> None:
    rows = rows_of(f"a,b\n{line}\n5,6\n")
    assert rows[0].error is not None and rows[0].error.code == "wrong_cell_count"
    assert "header has 2" in rows[0].error.message
    assert rows[1].data == {"a": "5", "b": "6"}


def test_text_after_a_closing_quote_fails_that_row_only() -> None:
    rows = rows_of('a,b\n1,"2"x\n3,4\n')
    assert rows[0].error is not None and rows[0].error.code == "broken_quoting"
    assert rows[1].data == {"a": "3", "b": "4"}


def test_an_unclosed_quote_does_not_swallow_the_following_rows() -> None:
    rows = rows_of('a,b,c\n1,"2,3\n4,5,6\n7,8,9\n')
    assert rows[0].error is not None and rows[0].error.code == "broken_quoting"
    assert "line 2" in rows[0].error.message
    assert [r.data for r in rows[1:]] == [{"a": "4", "b": "5", "c": "6"},
                                          {"a": "7", "b": "8", "c": "9"}]


def test_an_unclosed_quote_closed_by_a_later_row_is_recovered() -> None:
    rows = rows_of('a,b,c\n1,"2,3\n4,5,"6"\n7,8,9\n')
    assert rows[0].error is not None
    assert [r.data for r in rows[1:]] == [{"a": "4", "b": "5", "c": "6"},
                                          {"a": "7", "b": "8", "c": "9"}]


def test_an_unclosed_quote_gives_up_after_a_bounded_number_of_lines() -> None:
    body = "".join(f"{i},x\n" for i in range(MAX_RECORD_LINES + 50))
    rows = rows_of('a,b\n"open,1\n' + body)
    assert rows[0].error is not None
    assert len(rows) == MAX_RECORD_LINES + 51
    assert rows[-1].data == {"a": str(MAX_RECORD_LINES + 49), "b": "x"}


def test_a_row_of_empty_cells_is_flagged_empty() -> None:
    [row] = rows_of("a,b\n , \n")
    assert row.error is not None and row.error.code == "empty_row"


def test_header_only_gives_no_rows_and_an_empty_file_is_an_input_error() -> None:
    assert rows_of("a,b\n") == []
    with pytest.raises(InputError, match="empty"):
        rows_of("")


def test_duplicate_and_blank_header_names_are_input_errors() -> None:
    with pytest.raises(InputError, match="twice"):
        rows_of("a,a\n1,2\n")
    with pytest.raises(InputError, match="empty column name"):
        rows_of("a,,b\n1,2,3\n")


def test_a_ten_megabyte_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    big = "x" * (10 * 1024 * 1024)
    path.write_text(f"last_name,description\nBig,{big}\nSmall,ok\n", encoding="utf-8")
    rows = list(read_rows(str(path)))
    assert rows[0].data is not None and len(rows[0].data["description"]) == len(big)
    assert rows[1].data == {"last_name": "Small", "description": "ok"}


def test_big_quoted_fields_are_read_without_raising_the_process_wide_csv_limit() -> None:
    limit = csv.field_size_limit()
    big = ('a "quoted" field, ' * 200 + '\n') * 100   # 360 KB over 100 lines
    quoted = big.replace('"', '""')
    rows = rows_of(f'a,b,c\n1,"{quoted}",3\n"x",y,"z"\n')
    assert [r.data for r in rows] == [{"a": "1", "b": big, "c": "3"},
                                      {"a": "x", "b": "y", "c": "z"}]
    assert csv.field_size_limit() == limit

def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufefflast_name\nAda\n".encode())
    assert [r.data for r in read_rows(str(path))] == [{"last_name": "Ada"}]


# -- encodings --------------------------------------------------------------------------
def test_scan_file_counts_lines_and_names_encoding_on_bad_bytes(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("a\n1\n2", encoding="utf-8")
    assert scan_file(str(good)) == 3
    bad = tmp_path / "latin.csv"
    bad.write_bytes("last_name\nMüller\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        scan_file(str(bad))
    assert "--encoding" in str(info.value) and "line 2" in str(info.value)
    assert scan_file(str(bad), "latin-1") == 2
    assert [r.data for r in read_rows(str(bad), encoding="latin-1")] == [{"last_name": "Müller"}]


def test_unknown_encoding_and_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown encoding"):
        scan_file(__file__, "no-such-codec")
    with pytest.raises(InputError, match="cannot read"):
        read_rows(str(tmp_path / "missing.csv"))


# -- JSON Lines -------------------------------------------------------------------------
def test_jsonl_rows_and_bad_lines() -> None:
    text = '{"last_name": "Ada", "value": 1.5}\n\nnot json\n[1, 2]\n{"last_name": "Bo"}\n'
    rows = list(read_jsonl(io.StringIO(text)))
    assert rows[0].data == {"last_name": "Ada", "value": Decimal("1.5")}
    assert rows[1].error is not None and rows[1].error.code == "invalid_json"
    assert rows[2].error is not None and "not an object" in rows[2].error.message
    assert rows[3].number == 4 and rows[3].line == 5


def test_format_comes_from_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text('{"last_name": "Ada"}\n', encoding="utf-8")
    assert [r.data for r in read_rows(str(path))] == [{"last_name": "Ada"}]

