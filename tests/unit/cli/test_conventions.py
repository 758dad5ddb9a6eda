"""The command-line conventions that need no server: delimiters, messages, formats,
name checks with suggestions, completion, and output that only lands on success."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from basecrm_like import catalog
from basecrm_like.bulk import InputError
from basecrm_like.cli import cli
from basecrm_like.cli.conventions import (
    atomic_output,
    check_mapped_columns,
    detect_delimiter,
    for_command_line,
    input_rows,
    key_suggestion,
    output_format,
)
from basecrm_like.cli.mock import ready_instructions


@pytest.mark.parametrize("header,expected", [
    ("a,b,c\n", ","), ("a;b;c\n", ";"), ("a\tb\tc\n", "\t"), ("single\n", ","),
    ('"x;y",b,c\n', ","), ("a;b,c;d\n", ";"),
])
def test_the_delimiter_comes_from_the_header(header: str, expected: str) -> None:
    assert detect_delimiter(header) == expected


def test_library_messages_are_reworded_for_the_command_line() -> None:
    assert for_command_line(
        "no access token: pass access_token='<your personal access token>' to the Client "
        "or set the BASECRM_ACCESS_TOKEN environment variable (Settings)"
    ) == "no access token: pass --token or set $BASECRM_ACCESS_TOKEN (Settings)"
    assert "check --token or $BASECRM_ACCESS_TOKEN" in for_command_line(
        "401: check the access_token option or BASECRM_ACCESS_TOKEN")
    assert for_command_line("the server.. What now...") == "the server. What now..."
    assert for_command_line("base_url must start with http") == "--base-url must start with http"


@pytest.mark.parametrize("path,fmt,expected", [
    ("x.jsonl", None, "jsonl"), ("x.ndjson", None, "jsonl"), ("x.json", None, "json"),
    ("x.csv", None, "csv"), ("x.txt", None, "csv"), ("-", None, "csv"), ("x.json", "csv", "csv"),
])
def test_the_output_format_follows_the_extension(path: str, fmt: str | None,
                                                 expected: str) -> None:
    assert output_format(path, fmt) == expected


def test_a_json_file_may_hold_an_array_or_lines(tmp_path: Path) -> None:
    array = tmp_path / "a.json"
    array.write_text('[{"first_name": "A"}, 3]')
    rows = list(input_rows(str(array), None, "utf-8", None).rows)
    assert rows[0].data == {"first_name": "A"} and rows[1].error is not None
    lines = tmp_path / "b.json"
    lines.write_text('{"first_name": "A"}\n{"first_name": "B"}\n')
    assert [r.data for r in input_rows(str(lines), None, "utf-8", None).rows] == [
        {"first_name": "A"}, {"first_name": "B"}]
    scalar = tmp_path / "c.json"
    scalar.write_text('[{"not": "closed"}')
    with pytest.raises(InputError, match="not valid JSON"):
        list(input_rows(str(scalar), None, "utf-8", None).rows)


def test_semicolon_csv_reads_by_column(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("first_name;last_name\nA;B\n")
    source = input_rows(str(path), None, "utf-8", None)
    assert source.columns == ["first_name", "last_name"] and source.total == 1
    assert [r.data for r in source.rows] == [{"first_name": "A", "last_name": "B"}]
    with pytest.raises(InputError, match="one character"):
        input_rows(str(path), None, "utf-8", ";;")


def test_a_map_of_a_missing_column_is_refused_with_a_suggestion() -> None:
    with pytest.raises(InputError, match="no column 'Emial'; did you mean 'Email'"):
        check_mapped_columns({"Emial": "email"}, ["Name", "Email"])
    check_mapped_columns({"Email": "email"}, ["Name", "Email"])


def test_the_key_gets_a_suggestion() -> None:
    assert key_suggestion(catalog.get("contacts"), "emial") == "; did you mean 'email'?"
    assert key_suggestion(catalog.get("contacts"), "zzzz") == ""


@pytest.mark.parametrize("options,suggested", [
    (["--key", "emial"], "did you mean 'email'?"),      # a --key close to a filter
    (["--map", "Mial=email"], "did you mean 'Mail'?"),  # a --map of a column not in the file
])
def test_import_names_the_likely_option_value(tmp_path: Path, options: list[str],
                                              suggested: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text("first_name,last_name,Mail\nA,B,a@b.c\n")
    result = CliRunner().invoke(cli, ["import", "contacts", str(path), *options, "--dry-run"])
    assert result.exit_code == 2 and suggested in result.stderr


def test_output_appears_only_when_the_block_succeeds(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous good export\n")
    with pytest.raises(RuntimeError), atomic_output(str(target)) as out:
        out.write("half of it")
        raise RuntimeError("the API went away")
    assert target.read_text() == "previous good export\n"
    assert os.listdir(tmp_path) == ["out.csv"]
    with atomic_output(str(target)) as out:
        out.write("new\n")
    assert target.read_text() == "new\n"


def test_shell_completion_offers_resource_names() -> None:
    result = CliRunner().invoke(cli, [], prog_name="basecrm-like", env={
        "_BASECRM_LIKE_COMPLETE": "bash_complete", "COMP_WORDS": "basecrm-like export con",
        "COMP_CWORD": "2"})
    offered = {line.split(",", 1)[1] for line in result.output.splitlines()}
    assert {"contacts"} <= offered and "deals" not in offered


def test_every_account_command_takes_verbose_and_json() -> None:
    for name in ("import", "export", "sync", "whoami"):
        help_text = CliRunner().invoke(cli, [name, "--help"]).output
        assert "-v, --verbose" in help_text and "--json" in help_text, name
    assert "-v, --verbose" in CliRunner().invoke(cli, ["api", "--help"]).output


def test_the_mock_tells_a_terminal_what_to_paste() -> None:
    text = ready_instructions("http://127.0.0.1:8765", "t0k")
    assert "export BASECRM_BASE_URL=http://127.0.0.1:8765 BASECRM_ACCESS_TOKEN=t0k" in text

