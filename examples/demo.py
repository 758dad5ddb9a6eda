"""``make demo``: start the bundled mock server and walk through the package.

Each step is a function taking the running :class:`Demo`; add a step by
appending it to ``STEPS`` (an import step and a sync step can sit beside the
tour). The server holds seeded sample data and lives for the whole demo.
"""
from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import basecrm_like
from basecrm_like.mock import MockServer, serve

HERE = Path(__file__).resolve().parent
SEED = 120
#: the port the closing instructions suggest for a mock of your own
PORT = 8765


def shell_command(words: str) -> str:
    """``basecrm-like WORDS`` as it runs from the checkout without activating the venv."""
    scripts = Path(sys.executable).parent
    try:
        where = scripts.relative_to(Path.cwd())
    except ValueError:
        where = scripts
    return f"{where}/basecrm-like {words}"


@dataclass
class Demo:
    server: MockServer
    client: basecrm_like.Client
    examples: Path = HERE


def tour(demo: Demo) -> None:
    """Contacts, a Decimal-valued deal, notes, tasks, filters, pagination, errors."""
    sys.path.insert(0, str(demo.examples))
    try:
        import tour as tour_module
    finally:
        sys.path.remove(str(demo.examples))
    tour_module.run(demo.client)


#: (title, function) in the order they run
STEPS: list[tuple[str, Callable[[Demo], None]]] = [
    ("Tour of the client", tour),
]


def sync_mirror(demo: Demo) -> None:
    """Mirror the account into SQLite through the Sync API, then read it back."""
    from basecrm_like.sync import SqliteMirror, Sync

    out = HERE.parent / "demo-output"
    out.mkdir(exist_ok=True)
    db = out / "crm.sqlite"
    for stale in out.glob("crm.sqlite*"):  # a new mock server each demo: start afresh
        stale.unlink()
    with SqliteMirror(db) as mirror:
        summary = Sync(demo.client, Sync.device_uuid_from(f"{db}.device")).run(mirror)
        print(f"  synced {summary.seen} items in {summary.pages} pages into {db}")
        for table, count in mirror.counts().items():
            print(f"  {table:<26} {count:>6}")
        print(f"  hot deals in the mirror: {len(mirror.query('deals', hot=True))}")
    print(f"  again from the shell: {shell_command('sync --db crm.sqlite')} "
          "(with BASECRM_ACCESS_TOKEN and BASECRM_BASE_URL set)")


STEPS.append(("Mirror the account into SQLite (Sync API)", sync_mirror))


def import_contacts(demo: Demo) -> None:
    """Import data/contacts.csv (1,000 rows, five bad on purpose) with key=email, twice."""
    out = HERE.parent / "demo-output"
    out.mkdir(exist_ok=True)
    report = out / "import-report.csv"
    source = HERE / "data" / "contacts.csv"
    for stale in out.glob("import-report.csv*"):  # a new mock server each demo: start afresh
        stale.unlink()
    before = len(demo.client.contacts.list_all())
    for run in ("first run", "second run"):
        summary = demo.client.bulk.import_file("contacts", str(source), key="email", rate=0,
                                               report=str(report))
        print(f"  {run}: {summary.line()}")
    with report.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["status"] == "failed":
                print(f"    row {row['row']}: {row['error_code']}: {row['message']}")
    after = len(demo.client.contacts.list_all())
    print(f"  contacts on the server: {before} before, {after} after both runs "
          f"(+{after - before}: the second run duplicated nothing); report: {report}")
    print("  again from the shell: "
          + shell_command("import contacts examples/data/contacts.csv --key email "
                          "--report report.csv"))


STEPS.append(("Import a CSV of contacts, then run it again", import_contacts))


def main() -> int:
    started = time.perf_counter()
    with serve(seed=SEED) as server:
        print(f"Mock Base API at {server.url} with {SEED} seeded contacts, leads and deals "
              f"(started in {time.perf_counter() - started:.2f} s)")
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        demo = Demo(server, client)
        for number, (title, step) in enumerate(STEPS, start=1):
            print(f"\n{number}. {title}")
            step(demo)
    print(closing_instructions())
    return 0


def closing_instructions() -> str:
    """Commands that work exactly as printed, from the directory ``make demo`` ran in."""
    from basecrm_like.mock import DEV_TOKEN

    url = f"http://127.0.0.1:{PORT}"
    return "\n".join([
        "\nDone. To keep a mock server for your own code, in one shell run",
        f"  {shell_command(f'mock --port {PORT}')}",
        "and in another",
        f"  export BASECRM_BASE_URL={url} BASECRM_ACCESS_TOKEN={DEV_TOKEN}",
        f"  {shell_command('whoami')}",
        f"  {shell_command('export contacts -o contacts.csv')}",
        f"(or run `source {Path(shell_command('')).parent}/activate` once and type "
        "basecrm-like alone)",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
