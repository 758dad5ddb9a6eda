"""``python -m basecrm_like.mock ...`` is ``basecrm-like mock ...``."""
from __future__ import annotations

import sys


def main() -> None:
    from basecrm_like.cli import main as cli_main

    cli_main(["mock", *sys.argv[1:]])


if __name__ == "__main__":
    main()
