"""The command-line conventions against the mock server over loopback: stdin and stdout,
closed pipes, formats from extensions, delimiters, -v, --json, whoami, api, journals,
and nothing left behind by a failed run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import basecrm_like
from basecrm_like.cli import cli
from basecrm_like.mock import serve

#: enough contacts that an export overflows a pipe's buffer long before it ends
SEED = 1500


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with serve(seed=SEED) as running:
        yield running


@pytest.fixture
def env(server: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The account of the mock, in the environment as a user would set it."""
    values = {"BASECRM_BASE_URL": server.url, "BASECRM_ACCESS_TOKEN": server.token}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **values}


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result.exit_code, result.stdout, result.stderr


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "basecrm_like", *args]


def test_export_into_head_ends_quietly_with_status_0(env: dict[str, str]) -> None:
    pipeline = f"{' '.join(command('export', 'contacts', '--no-progress'))} | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("id,")
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""
    assert done.returncode == 0


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(command("--version"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("basecrm-like, version ")


def test_the_format_follows_the_extension_and_json_round_trips(env: dict[str, str],
                                                               tmp_path: Path) -> None:
    jsonl, array = tmp_path / "deals.jsonl", tmp_path / "deals.json"
    assert invoke("export", "deals", "-o", str(jsonl), "--no-progress")[0] == 0
    assert invoke("export", "deals", "-o", str(array), "--no-progress")[0] == 0
    lines = jsonl.read_text().splitlines()
    records = json.loads(array.read_text())
    assert isinstance(records, list) and len(records) == len(lines) > 0
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in records]

    contacts = tmp_path / "new.json"
    contacts.write_text(json.dumps([{"first_name": "Ann", "last_name": f"Json{i}"}
                                    for i in range(3)]))
    code, out, err = invoke("import", "contacts", str(contacts), "--rate", "0", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"] == {"created": 3} and summary["failed"] == 0


def test_import_reads_stdin_with_the_delimiter_from_the_header(env: dict[str, str],
                                                               server: Any) -> None:
    text = "first_name;last_name;email\nAda;Semi;ada.semi@example.org\nAl;Semi;al@example.org\n"
    code, out, err = invoke("import", "contacts", "-", "--key", "email", "--rate", "0",
                            stdin=text)
    assert code == 0, err
    assert out.startswith("2 rows: 2 created")
    client = basecrm_like.Client(access_token=server.token, base_url=server.url)
    assert client.contacts.list(email="ada.semi@example.org")[0].last_name == "Semi"

    tabbed = "first_name\tlast_name\nTab\tSeparated\n"
    assert invoke("import", "contacts", "-", "--rate", "0", stdin=tabbed)[0] == 0
    forced = "first_name|last_name\nPipe|Separated\n"
    code, out, err = invoke("import", "contacts", "-", "--rate", "0", "--delimiter", "|",
                            stdin=forced)
    assert code == 0 and out.startswith("1 row: 1 created"), err


def test_the_journal_goes_after_a_clean_run_unless_kept(env: dict[str, str],
                                                        tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("first_name,last_name\nJo,Journal\n")
    journal = Path(f"{source}.journal")
    assert invoke("import", "contacts", str(source), "--rate", "0")[0] == 0
    assert not journal.exists()
    assert invoke("import", "contacts", str(source), "--rate", "0", "--keep-journal")[0] == 0
    assert journal.exists()


def test_a_failed_export_leaves_no_file_and_names_the_option(server: Any,
                                                             tmp_path: Path) -> None:
    target = tmp_path / "contacts.csv"
    code, _, err = invoke("export", "contacts", "-o", str(target), "--token", "x" * 64,
                          "--base-url", server.url, "--no-progress")
    assert code == 2
    assert "--token" in err and "access_token" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_token_names_the_option_and_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                           server: Any) -> None:
    monkeypatch.delenv("BASECRM_ACCESS_TOKEN", raising=False)
    code, _, err = invoke("whoami", "--base-url", server.url)
    assert code == 2
    assert "pass --token or set $BASECRM_ACCESS_TOKEN" in err and "Client" not in err


def test_a_failed_first_sync_leaves_no_mirror_behind(server: Any, tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    code, _, err = invoke("sync", "--db", str(db), "--token", "y" * 64, "--base-url",
                          server.url, "--no-progress")
    assert code == 2, err
    assert list(tmp_path.iterdir()) == []


def test_sync_summary_as_json(env: dict[str, str], tmp_path: Path) -> None:
    code, out, err = invoke("sync", "--db", str(tmp_path / "m.sqlite"), "--no-progress",
                            "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["acked"] == summary["seen"] > 0 and summary["mirror"]["contacts"] >= SEED


def test_whoami_shows_the_user_and_account(env: dict[str, str]) -> None:
    code, out, err = invoke("whoami")
    assert code == 0, err
    assert out.startswith("user:") and "account:" in out
    code, out, _ = invoke("whoami", "--json")
    who = json.loads(out)
    assert who["user"]["id"] and who["account"]["id"] and who["base_url"]


def test_whoami_with_a_wrong_token_exits_2(server: Any) -> None:
    code, _, err = invoke("whoami", "--token", "z" * 64, "--base-url", server.url)
    assert code == 2 and "401" in err and "--token" in err


def test_api_calls_any_endpoint(env: dict[str, str]) -> None:
    code, out, err = invoke("api", "GET", "/v2/contacts", "-F", "per_page=2",
                            "-F", "sort_by=id:desc")
    assert code == 0, err
    answer = json.loads(out)
    assert len(answer["items"]) == 2
    assert answer["items"][0]["data"]["id"] > answer["items"][1]["data"]["id"]

    code, out, err = invoke("api", "post", "contacts", "-F", "first_name=Api",
                            "-F", "last_name=Made", "-f", "phone=0123")
    assert code == 0, err
    made = json.loads(out)["data"]
    assert made["last_name"] == "Made" and made["phone"] == "0123"

    code, _, err = invoke("api", "GET", f"/v2/contacts/{10 ** 9}")
    assert code == 1 and "404" in err


def test_verbose_logs_requests_with_the_token_redacted(env: dict[str, str],
                                                       server: Any) -> None:
    done = subprocess.run(command("whoami", "-v"), env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "-> GET" in done.stderr and "/v2/users/self" in done.stderr
    assert server.token not in done.stderr


def test_the_mock_prints_its_token_beside_the_ready_line() -> None:
    process = subprocess.Popen(command("mock", "--port", "0"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        ready, token = process.stdout.readline(), process.stderr.readline()
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert out == ""   # stdout holds the ready line alone, for scripts
    assert ready.startswith("listening on http://127.0.0.1:")
    from basecrm_like.mock import DEV_TOKEN
    assert token.strip() == f"token: {DEV_TOKEN}"
