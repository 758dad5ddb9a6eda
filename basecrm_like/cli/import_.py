"""``basecrm-like import``: the rows of a CSV or JSON Lines file as records, resumable."""
from __future__ import annotations

import contextlib
import functools
import os
import shlex
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import click

from .. import catalog
from ..bulk import (
    LOOKUPS,
    Importer,
    ImportStopped,
    InputError,
    JournalError,
    LookupUnavailable,
    default_journal_path,
    load_map_file,
    parse_map_options,
    run_with_report,
)
from ..http.errors import ConfigurationError
from .conventions import (
    INPUT_FORMATS,
    check_mapped_columns,
    complete_resource,
    delimiter_option,
    import_summary,
    input_rows,
    json_option,
    keep_journal_option,
    key_suggestion,
    print_json,
)
from .progress import RowProgress
from .shared import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    account_options,
    fail_to_run,
    make_client,
    progress_option,
    stop_on_signals,
)

#: failed rows printed on stderr when there is no --report to hold them
SHOWN_FAILURES = 20


@click.command("import")
@click.argument("resource", shell_complete=complete_resource)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--key", metavar="ATTRIBUTE",
              help="Match existing records on this attribute (email, custom_fields.<name>, ...) "
                   "and upsert, so reruns never duplicate. Without it every row is created.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Rows sent at once.")
@click.option("--rate", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Requests per second for the whole import; 0 = unlimited.")
@click.option("--report", type=click.Path(dir_okay=False),
              help="Write one CSV line per input row (status, id, error) here.")
@click.option("--resume", is_flag=True,
              help="Skip the rows an earlier, interrupted run finished (read from its journal).")
@click.option("--dry-run", is_flag=True,
              help="Check every row against the catalog; send nothing, no token needed.")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=ATTRIBUTE",
              help="Read COLUMN as ATTRIBUTE (repeatable); COLUMN=- ignores the column.")
@click.option("--map-file", type=click.Path(dir_okay=False),
              help="Mappings from a JSON object or a two-column CSV (column,attribute).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of FILE.")
@click.option("--format", "fmt", type=click.Choice(INPUT_FORMATS),
              help="Format of FILE: csv, jsonl or json (an array of objects). Default: from the "
                   "extension, else from the first character ('[' json, '{' jsonl).")
@delimiter_option
@keep_journal_option
@json_option
@click.option("--lookup", type=click.Choice(LOOKUPS), default="auto", show_default=True,
              help="With --key, how existing records are found. prefetch: read them all once "
                   "(100 per request) into a local index, so unchanged rows send nothing and "
                   "changed ones one update; search: Search v3 lookups of up to 200 keys per "
                   "request (deals, leads, contacts); none: one upsert per row, 'unchanged' "
                   "never reported; auto: the cheapest in requests (search when the rows / 200 "
                   "cost less than reading the account), prefetch when it costs fewer requests "
                   "than the rows, else none.")
@click.option("--no-compare", is_flag=True,
              help="The same as --lookup none.")
@account_options
@progress_option
def import_command(**params: Any) -> None:
    """Import the rows of FILE (CSV with a header row, JSON Lines or a JSON array) as RESOURCE records.

    FILE - reads standard input (then --resume needs --report, next to which
    the journal is kept).

    Columns name attributes: first_name, is_organization, tags (comma or
    semicolon separated), address.city, custom_fields.<name>. Empty cells are
    left out. Bad rows are reported and skipped; the import goes on.

    Every outcome is journaled next to the report (or FILE) as it happens:
    after Ctrl-C, a crash or a kill, run the same command with --resume. The
    journal is removed after a run in which every row succeeded, unless
    --keep-journal is given.

    The run stops at once on errors no row can survive (a refused token, a
    base URL that is not the API, a server that cannot be reached); fix the
    cause and resume.

    Exit status: 0 every row succeeded; 1 some rows failed, are uncertain
    (may exist on the server) or were skipped (see the report); 2 cannot run
    (configuration, file, resource or mapping problem, or stopped by an error
    no row can survive); 130 stopped by Ctrl-C or SIGTERM (the message says
    how to resume).
    """
    raise SystemExit(run_import(**params))


def resume_command(params: dict[str, Any]) -> str:
    """The command line that resumes this import (never with the token in it)."""
    words = ["basecrm-like", "import", params["resource"], params["file"]]
    for name in ("key", "concurrency", "rate", "report", "map_file", "encoding", "fmt",
                 "delimiter", "base_url"):
        value = params.get(name)
        if value is not None:
            option = "--format" if name == "fmt" else "--" + name.replace("_", "-")
            words += [option, f"{value:g}" if isinstance(value, float) else str(value)]
    for mapping in params.get("maps") or ():
        words += ["--map", mapping]
    if params.get("no_compare"):
        words.append("--no-compare")
    elif params.get("lookup") not in (None, "auto"):
        words += ["--lookup", params["lookup"]]
    words.append("--resume")
    return shlex.join(words)


def run_import(**params: Any) -> int:
    """Import FILE as the command's parameters say; the exit status."""
    cannot_run = functools.partial(fail_to_run, "import")
    path, dry_run, key, report = params["file"], params["dry_run"], params["key"], params["report"]
    try:
        res = catalog.get(params["resource"])
    except KeyError as exc:
        names = ", ".join(r.name for r in catalog.RESOURCES if "create" in r.actions)
        return cannot_run(f"{exc.args[0]} (resources you can import: {names})")
    if path != "-" and not os.path.isfile(path):
        return cannot_run(f"no such file: {path}")
    if path == "-" and not report and not dry_run:
        # a journal needs a place; without one a stdin import cannot be resumed
        if params["resume"]:
            return cannot_run("--resume of an import from standard input needs the --report "
                              "of the first run (its journal is kept next to it)")

    stop = threading.Event()
    try:
        source = input_rows(path, params["fmt"], params["encoding"], params.get("delimiter"))
        total = source.total
        mapping = load_map_file(params["map_file"]) if params["map_file"] else {}
        mapping.update(parse_map_options(params["maps"]))
        # key, mapping and resource checks first: they need no token. Without a
        # service this importer only checks rows, which is what a dry run does.
        checker = Importer(res, None, key=key, concurrency=params["concurrency"],
                           mapping=mapping, stop=stop)
        if source.columns is not None:
            check_mapped_columns(mapping, source.columns)
    except (InputError, ValueError) as exc:
        hint = key_suggestion(res, key) if key and repr(key) in str(exc) else ""
        return cannot_run(f"{exc}{hint}")
    client = None
    if not dry_run:
        try:
            client = make_client(params["token"], params["base_url"],
                                 pool_size=max(10, params["concurrency"]))
        except ConfigurationError as exc:
            return cannot_run(str(exc))
    rows = source.rows
    journal = None if path == "-" and not report else default_journal_path(path, report)

    def with_header_notes(items: Iterable[Any]) -> Iterator[Any]:
        """The rows, saying once (at the first row with data) what the columns will do."""
        noted = False
        for row in items:
            if not noted and row.data:
                noted = True
                for note in checker.mapper.header_notes(row.data.keys()):
                    click.echo(f"basecrm-like import: note: {note}", err=True)
            yield row

    lookup = "none" if params["no_compare"] else params["lookup"]

    def say_plan(plan: Any) -> None:
        click.echo(f"basecrm-like import: lookup {plan.reason}", err=True)

    progress = RowProgress(params["show_progress"], total,
                           f"{'checking' if dry_run else 'importing'} {res.name}")
    failures: list[Any] = []

    def on_result(result: Any) -> None:
        progress(result)
        if result.status == "failed" and not report and len(failures) < SHOWN_FAILURES:
            failures.append(result)

    with stop_on_signals("import", "the rows in flight", stop.set) as signalled:
        try:
            with contextlib.closing(progress):   # the bar ends before any message below it
                if client is None:
                    summary = run_with_report(checker, with_header_notes(rows), on_result,
                                              report)
                else:
                    summary = client.bulk.import_records(
                        res.name, with_header_notes(rows), key, params["concurrency"], on_result,
                        rate=params["rate"], mapping=mapping, compare=not params["no_compare"],
                        report=report, journal=journal,
                        resume=params["resume"], stop=stop, lookup=lookup,
                        expected_rows=total, on_plan=say_plan)
        except (JournalError, LookupUnavailable) as exc:
            return cannot_run(str(exc))
        except ImportStopped as exc:
            done = exc.summary.rows if exc.summary is not None else 0
            return cannot_run(f"stopped: {exc.message}\n{done} rows were reported before the "
                              f"stop; the journal keeps them. After the fix, resume with:\n"
                              f"  {resume_command(params)}")
        except InputError as exc:
            return cannot_run(f"{exc}\nRows finished so far are journaled; fix the problem and "
                              f"resume with:\n  {resume_command(params)}")
        except KeyboardInterrupt:
            click.echo("basecrm-like import: aborted; the rows in flight may be missing from the "
                       f"journal. To resume:\n  {resume_command(params)}", err=True)
            return EXIT_INTERRUPTED

    for result in failures:
        where = f" ({result.error_field})" if result.error_field else ""
        click.echo(f"row {result.row}: {result.error_code}{where}: {result.message}", err=True)
    if failures and summary.failed > len(failures):
        click.echo(f"... and {summary.failed - len(failures)} more failed rows; pass --report "
                   "PATH to list them all", err=True)
    succeeded = not summary.interrupted and summary.ok   # uncertain rows keep their journal
    if succeeded and journal and not params.get("keep_journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(journal)
    if params.get("as_json"):
        print_json(import_summary(summary, report, journal if not succeeded
                                  or params.get("keep_journal") else None))
    else:
        traffic = "" if dry_run else (f"; {summary.requests} requests, {summary.rate_limited} "
                                      "rate-limited")
        click.echo(f"{summary.line()}{traffic}")
        if report:
            click.echo(f"report: {report}")
    if summary.interrupted:
        by = signalled[0] if signalled else "request"
        click.echo(f"stopped by {by} after {summary.rows} rows. To resume:\n"
                   f"  {resume_command(params)}", err=True)
        return EXIT_INTERRUPTED
    name_unsettled(summary, report)
    return EXIT_OK if summary.ok else EXIT_SOME_FAILED


def name_unsettled(summary: Any, report: str | None) -> None:
    """List the uncertain and skipped rows, with what to check, on stderr."""
    uncertain = [r for r in summary.unsettled if r.uncertain or r.status == "uncertain"]
    skipped = [r for r in summary.unsettled if r not in uncertain]
    if summary.uncertain:
        click.echo(f"{summary.uncertain} uncertain rows: the server may or may not hold them. "
                   "Look each one up before importing it again (with --key, a rerun is safe):",
                   err=True)
        for result in uncertain:
            click.echo(f"  {_where(result)}: {result.message or result.error_code}", err=True)
    if skipped:
        click.echo(f"{summary.counts['skipped']} skipped rows:", err=True)
        for result in skipped:
            click.echo(f"  {_where(result)}: {result.message or result.error_code}", err=True)
    more = summary.unsettled_rows - len(summary.unsettled)
    if more > 0:
        where = f"; the report {report} lists them all" if report else ""
        click.echo(f"  ... and {more} more{where}", err=True)


def _where(result: Any) -> str:
    key = f" (key {result.key})" if result.key not in (None, "") else ""
    line = f", line {result.line}" if result.line else ""
    return f"row {result.row}{line}{key}"
