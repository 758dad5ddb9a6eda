"""``basecrm-like whoami``: whose token this is, on which account, and that it works.

The first command to run against a new token or base URL: it makes two cheap
requests and says plainly which setting is wrong when they fail.
"""
from __future__ import annotations

from typing import Any

import click
import requests

from ..http.errors import BaseError, ConfigurationError
from .conventions import json_option, print_json
from .shared import EXIT_OK, account_options, fail_to_run, make_client


@click.command("whoami")
@account_options
@json_option
def whoami_command(token: str | None, base_url: str | None, as_json: bool) -> None:
    """Show the token's user and account, checking that the token and URL work.

    Exit status: 0 the token works; 2 it does not (the message says why).
    """
    raise SystemExit(run_whoami(token, base_url, as_json))


def run_whoami(token: str | None, base_url: str | None, as_json: bool) -> int:
    """Print who the token belongs to; the exit status."""
    try:
        client = make_client(token, base_url)
        user = client.users.self()
        account = client.accounts.self()
    except ConfigurationError as exc:
        return fail_to_run("whoami", str(exc))
    except (BaseError, requests.exceptions.RequestException) as exc:
        where = client.http_client.config.base_url
        return fail_to_run("whoami", f"the token or the URL does not work ({where}): {exc}")
    if as_json:
        print_json({"base_url": client.http_client.config.base_url,
                    "user": _pick(user, "id", "name", "email", "role", "status"),
                    "account": _pick(account, "id", "name", "currency", "time_zone")})
        return EXIT_OK
    click.echo(f"user:    {user.get('name')} <{user.get('email')}> (id {user.get('id')}, "
               f"{user.get('role', 'user')})")
    click.echo(f"account: {account.get('name')} (id {account.get('id')})")
    click.echo(f"api:     {client.http_client.config.base_url}")
    return EXIT_OK


def _pick(record: Any, *names: str) -> dict[str, Any]:
    return {name: record.get(name) for name in names}
