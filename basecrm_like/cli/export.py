"""``basecrm-like export``: every record of a resource as CSV or JSON Lines, streamed."""
from __future__ import annotations

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
from .search_source import search_records
from .shared import EXIT_OK, account_options, fail_to_run, make_client


@click.command("export")
@click.argument("resource")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="CSV (columns from the catalog) or JSON Lines.")
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
def export_command(resource: str, fmt: str, filters: tuple[str, ...], where: str | None,
                   sort: str | None, output: str, rate: float,
                   token: str | None, base_url: str | None) -> None:
    """Write every RESOURCE record as CSV or JSON Lines, streaming page by page.

    CSV columns follow the catalog; address becomes address.city etc. and
    custom fields custom_fields.<name>. Exit status: 0 done; 2 cannot run or
    the API failed part-way (the output is then incomplete).
    """
    raise SystemExit(run_export(resource, fmt, filters, output, rate, token, base_url,
                                where=where, sort=sort))


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
            shown = sorted(f.replace("[", ".").rstrip("]") for f in known)
            extra = ", custom_fields.<name>" if res.has_custom_fields else ""
            raise ValueError(f"{res.name} cannot be filtered on {name!r}; the filters are "
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


def run_export(resource: str, fmt: str, filters: tuple[str, ...], output: str, rate: float,
               token: str | None, base_url: str | None, *, where: str | None = None,
               sort: str | None = None) -> int:
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
    try:
        with click.open_file(output, "w", encoding="utf-8", lazy=False) as out:
            records = searched if searched is not None else \
                client.bulk.export_records(res.name, **params)
            if fmt == "jsonl":
                written = write_jsonl(out, records)
            else:
                written = write_csv(out, records, res, custom_field_names(client, res))
            for _ in written:
                count += 1
    except (BaseError, requests.exceptions.RequestException) as exc:
        return cannot_run(f"{exc}\n{count} records were written before the failure; "
                          "the output is incomplete")
    except OSError as exc:
        return cannot_run(f"cannot write {output}: {exc.strerror or exc}")
    if output != "-":
        click.echo(f"exported {count} {res.name} to {output}", err=True)
    return EXIT_OK
