"""``basecrm-like api METHOD PATH``: any endpoint, for what no command covers (as ``gh api``).

Fields become the query string of a GET or DELETE and the ``data`` object of
the body otherwise; the answer is printed as the API sent it, envelope and all.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click
import requests

from ..http.encoding import encode_json
from ..http.errors import BaseError, ConfigurationError
from ..support import keypaths
from .conventions import quiet_closed_pipe
from .shared import EXIT_OK, EXIT_SOME_FAILED, account_options, fail_to_run, make_client

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@click.command("api")
@click.argument("method", type=click.Choice(METHODS, case_sensitive=False))
@click.argument("path")
@click.option("-F", "--field", "fields", multiple=True, metavar="KEY=VALUE",
              help="A parameter (repeatable); true, false, null and numbers are sent as JSON "
                   "values. address.city=Paris nests.")
@click.option("-f", "--raw-field", "raw_fields", multiple=True, metavar="KEY=VALUE",
              help="A parameter sent as a string whatever it looks like (repeatable).")
@account_options
def api_command(method: str, path: str, fields: tuple[str, ...], raw_fields: tuple[str, ...],
                token: str | None, base_url: str | None) -> None:
    """Call any endpoint: METHOD PATH, e.g. ``GET /v2/contacts -F per_page=5``.

    PATH is relative to the API version (``/v2`` may be given or left out) or a
    full URL. Prints the JSON answer on stdout. Exit status: 0 a 2xx answer;
    1 the API answered with an error (shown on stderr); 2 cannot run.
    """
    raise SystemExit(run_api(method.upper(), path, fields, raw_fields, token, base_url))


def typed_value(text: str) -> Any:
    """``-F`` values: JSON literals and numbers as such, anything else as the string."""
    if text in ("true", "false", "null"):
        return json.loads(text)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text) if text.strip().lower() not in ("nan", "inf", "-inf",
                                                           "infinity") else text
    except ValueError:
        return text


def parse_fields(fields: Iterable[str], raw_fields: Iterable[str]) -> dict[str, Any]:
    """The ``KEY=VALUE`` options as one (nested) mapping; ValueError names a bad one."""
    params: dict[str, Any] = {}
    for items, convert in ((fields, typed_value), (raw_fields, str)):
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"field {item!r} must look like key=value")
            keypaths.nest(params, key.strip(), convert(value))
    return params


def api_path(path: str) -> str:
    """PATH as the client's URL: ``/v2`` is added by the client, so drop a given one."""
    if path.startswith(("http://", "https://")):
        return path
    path = "/" + path.lstrip("/")
    return path[3:] if path == "/v2" or path.startswith("/v2/") else path


def run_api(method: str, path: str, fields: tuple[str, ...], raw_fields: tuple[str, ...],
            token: str | None, base_url: str | None) -> int:
    """Send the request and print the answer; the exit status."""
    try:
        params = parse_fields(fields, raw_fields)
        client = make_client(token, base_url)
    except (ValueError, ConfigurationError) as exc:
        return fail_to_run("api", str(exc))
    in_query = method in ("GET", "DELETE")
    try:
        _, _, body = client.http_client.request(
            method, api_path(path), params=params if in_query else None,
            body=None if in_query or not params else {"data": params}, raw=True)
    except BaseError as exc:
        click.echo(f"basecrm-like api: {exc}", err=True)
        return EXIT_SOME_FAILED
    except requests.exceptions.RequestException as exc:
        return fail_to_run("api", str(exc))
    try:
        if isinstance(body, bytes):
            click.echo(body.decode("utf-8", "replace"), nl=False)
        elif body is not None:
            click.echo(encode_json(body))
    except BrokenPipeError:
        return quiet_closed_pipe()
    return EXIT_OK
