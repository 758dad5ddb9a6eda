"""``python -m basecrm_like.mock ...``: the mock server in the foreground, with the
flags of ``basecrm-like mock`` (both are built from :data:`.options.MOCK_OPTIONS`).

It prints one line, ``listening on http://HOST:PORT``, once requests can be sent,
and stops cleanly on Ctrl-C or SIGTERM. It runs without click, so the mock
needs nothing of the command-line package.
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from .backend.dbcheck import EXIT_BAD_DATABASE, DatabaseProblem
from .options import MOCK_OPTIONS, resolve

READY_LINE = "listening on {url}"
EXIT_CANNOT_RUN = 1
EXIT_INTERRUPTED = 130


def parser() -> argparse.ArgumentParser:
    """The flags of :data:`MOCK_OPTIONS`; unset ones stay None (resolve fills defaults)."""
    result = argparse.ArgumentParser(
        prog="python -m basecrm_like.mock",
        description="Run a local mock of the Base API v2 (for tests and CI).")
    for option in MOCK_OPTIONS:
        settings: dict[str, Any] = {"dest": option.name, "help": option.help}
        if option.type is bool:
            settings["action"] = "store_true"
        else:
            settings.update(type=option.type, metavar=option.metavar, default=None,
                            action="append" if option.multiple else "store")
        result.add_argument(*option.flags, **settings)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers are in place
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(argv: Sequence[str] | None) -> int:
    args = parser()
    try:
        settings = resolve(vars(args.parse_args(argv)))
    except ValueError as exc:
        args.error(str(exc))  # exits with status 2, like any bad flag
    logging.basicConfig(level=logging.INFO if settings["access_log"] else logging.WARNING,
                        stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        from .wire.server import serve
    except ImportError as exc:
        print(f"the mock server needs the mock extra: pip install 'basecrm_like[mock]' ({exc})",
              file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        server = serve(**settings)
    except OSError as exc:
        print(f"cannot listen on {settings['host']}:{settings['port']}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_CANNOT_RUN
    except DatabaseProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_DATABASE

    def announce() -> None:
        print(READY_LINE.format(url=server.url), flush=True)

    server.run_until_signalled(announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
