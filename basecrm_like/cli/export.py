"""``basecrm-like export``: every record of a resource as CSV or JSON Lines, streamed."""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from typing import IO, Any

import click
import requests

from .. import catalog
from ..bulk import write_csv_records
from ..catalog import Resource
from ..http.encoding import encode_json
from ..http.errors import BaseError, ConfigurationError
from ..support import keypaths
from ..support.suggest import suggestion
from .conventions import (
    OUTPUT_FORMATS,
    atomic_output,
    complete_resource,
    json_option,
    output_format,
    print_json,
    quiet_closed_pipe,
)
from .progress import RecordProgress
from .search_source import search_records
from .shared import EXIT_OK, account_options, fail_to_run, make_client, progress_option


@click.command("export")
@click.argument("resource", shell_complete=complete_resource)
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS),
              help="CSV (columns from the catalog), JSON Lines or a JSON array. "
                   "Default: from -o's extension (.jsonl, .json), else CSV.")
@click.option("--filter", "filters", multiple=True, metavar="NAME=VALUE",
              help="Only matching records (repeatable): owner_id=3, address.city=Paris, "
                   "custom_fields.Segment=SMB, sort_by=id:desc.")
@click.option("--where", default=None, metavar="EXPRESSION",
              help="Search API filter, e.g. 'decimal_value >= 1000 and stage.id in (1, 2)' "
                   "(deals, leads, contacts, notes, tasks; see the Search guide).")
@click.option("--sort", default=None, metavar="ATTR[:asc|desc],...",
              help="Search API order, e.g. updated_at:desc,name.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="Output file. Default: standard output.")
@click.option("--rate", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Requests per second; 0 = unlimited.")
@account_options
@progress_option
@json_option
def export_command(resource: str, fmt: str | None, filters: tuple[str, ...], where: str | None,
                   sort: str | None, output: str, rate: float, token: str | None,
                   base_url: str | None, show_progress: bool = False,
                   as_json: bool = False) -> None:
    """Write every RESOURCE record as CSV or JSON Lines, streaming page by page.

    CSV columns follow the catalog; address becomes address.city etc. and
    custom fields custom_fields.<name>. Exit status: 0 done; 2 cannot run or
    the API failed part-way (no file is left behind then). A reader that
    closes the pipe early (``| head``) ends the export quietly with status 0.
    """
    raise SystemExit(run_export(resource, fmt, filters, output, rate, token, base_url,
                                show_progress, as_json, where=where, sort=sort))


def parse_filters(res: Resource, filters: Iterable[str]) -> dict[str, Any]:
    """``--filter`` values as list parameters; a ValueError lists the filters there are."""
    params: dict[str, Any] = {}
    known = set(res.filters) | {"sort_by"}
    for item in filters:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--filter {item!r} must look like name=value")
        head, member = keypaths.split(name)
        if member is None:
            allowed = name in known and not name.startswith("address[")
        elif head == "custom_fields":
            allowed = res.has_custom_fields
        else:
            allowed = head == "address" and f"address[{member}]" in known
        if not allowed:
            shown = sorted({f.replace("[", ".").rstrip("]") for f in known})
            extra = ", custom_fields.<name>" if res.has_custom_fields else ""
            raise ValueError(f"{res.name} cannot be filtered on {name!r}"
                             f"{suggestion(name, shown)}; the filters are "
                             f"{', '.join(shown)}{extra}")
        keypaths.nest(params, name, value)
    return params


def custom_field_names(client: Any, res: Resource) -> list[str]:
    """Custom field names of ``res`` from the API's definitions (none if unavailable)."""
    if not res.has_custom_fields:
        return []
    try:
        return [f.name for f in client.custom_fields.list(res.type) if f.get("name")]
    except BaseError:
        return []


def write_jsonl(out: IO[str], records: Iterable[Any]) -> Iterator[None]:
    """Write one JSON line per record, yielding after each."""
    for record in records:
        out.write(encode_json(record) + "\n")
        yield


def write_csv(out: IO[str], records: Iterator[Any], res: Resource,
              defined: Iterable[str]) -> Iterator[None]:
    """Write a header and one flat row per record, yielding after each record.

    The custom field columns are the ``defined`` names plus every name any
    record uses: none is dropped (the header is written once all are known).
    """
    return write_csv_records(out, records, res, defined)


def write_json_array(out: IO[str], records: Iterable[Any]) -> Iterator[None]:
    """Write the records as one JSON array, one record per line, yielding after each."""
    out.write("[")
    separator = "\n"
    for record in records:
        out.write(separator + encode_json(record))
        separator = ",\n"
        yield
    out.write("\n]\n" if separator != "\n" else "]\n")


def run_export(resource: str, fmt: str | None, filters: tuple[str, ...], output: str,
               rate: float, token: str | None, base_url: str | None,
               show_progress: bool = False, as_json: bool = False, *,
               where: str | None = None, sort: str | None = None) -> int:
    """Export ``resource`` to ``output`` (``-``: stdout); the exit status."""
    cannot_run = functools.partial(fail_to_run, "export")
    try:
        res = catalog.get(resource)
    except KeyError as exc:
        return cannot_run(str(exc.args[0]))
    if "list" not in res.actions or res.parent_params:
        return cannot_run(f"{res.name} cannot be exported: it has no top-level list endpoint")
    searching = where is not None or sort is not None
    if searching and filters:
        return cannot_run("use either --filter (list filters) or --where/--sort (Search API)")
    try:
        params = parse_filters(res, filters)
        # the client exists for this export only, so its rate limit is the export's
        client = make_client(token, base_url, rate_limit=rate or None)
        searched = search_records(client, res, where, sort) if searching else None
    except (ValueError, ConfigurationError) as exc:
        return cannot_run(str(exc))
    count = 0
    fmt = output_format(output, fmt)
    progress = RecordProgress(show_progress, f"exporting {res.name}")
    try:
        with contextlib.closing(progress), atomic_output(output) as out:
            records = searched if searched is not None else \
                client.bulk.export_records(res.name, **params)
            if fmt == "jsonl":
                written = write_jsonl(out, records)
            elif fmt == "json":
                written = write_json_array(out, records)
            else:
                written = write_csv(out, records, res, custom_field_names(client, res))
            for _ in written:
                count += 1
                progress(count)
            out.flush()
    except BrokenPipeError:
        return quiet_closed_pipe()
    except (BaseError, requests.exceptions.RequestException) as exc:
        kept = "; nothing was written" if output != "-" else "; the output is incomplete"
        return cannot_run(f"{exc}\n{count} records were read before the failure{kept}")
    except OSError as exc:
        return cannot_run(f"cannot write {output}: {exc.strerror or exc}")
    if as_json:
        print_json({"resource": res.name, "records": count, "format": fmt,
                    "output": None if output == "-" else output})
    elif output != "-":
        click.echo(f"exported {count} {res.name} to {output}", err=True)
    return EXIT_OK
