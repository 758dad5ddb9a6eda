"""The resource table (resource, actions, path), generated from the catalog.

Used by the Sphinx build (docs/conf.py) and to refresh README.md
(``python docs/resource_table.py --readme``); a test fails when README.md's
copy differs from the catalog, so the table cannot drift.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from basecrm_like.resources import RESOURCES, Resource  # noqa: E402

START = "<!-- resource-table:start (generated from basecrm_like/resources.py) -->"
END = "<!-- resource-table:end -->"
ACTION_ORDER = ("list", "create", "retrieve", "update", "destroy", "upsert", "self")


def _actions(res: Resource) -> str:
    return ", ".join(a for a in ACTION_ORDER if a in res.actions)


def _paths(res: Resource) -> str:
    paths = [f"/v2{res.path}"]
    if res.actions & {"retrieve", "update", "destroy"}:
        paths.append(f"/v2{res.member_path}")
    if "upsert" in res.actions:
        paths.append(f"/v2{res.path}/upsert")
    if "self" in res.actions:
        paths = [f"/v2{res.path}/self"]
    return ", ".join(paths)


def markdown() -> str:
    lines = ["| client attribute | service class | actions | paths |", "|---|---|---|---|"]
    for res in RESOURCES:
        paths = ", ".join(f"`{p}`" for p in _paths(res).split(", "))
        lines.append(f"| `client.{res.name}` | `{res.service_name}` | {_actions(res)} | {paths} |")
    return "\n".join(lines)


def rst() -> str:
    rows = [".. list-table::", "   :header-rows: 1", "", "   * - client attribute",
            "     - service class", "     - actions", "     - paths"]
    for res in RESOURCES:
        paths = ", ".join(f"``{p}``" for p in _paths(res).split(", "))
        rows += [f"   * - ``client.{res.name}``", f"     - :class:`~basecrm_like.{res.service_name}`",
                 f"     - {_actions(res)}", f"     - {paths}"]
    return "\n".join(rows) + "\n"


def readme_with_table(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{markdown()}\n{END}{tail}"


if __name__ == "__main__":
    if "--readme" in sys.argv:
        readme = ROOT / "README.md"
        readme.write_text(readme_with_table(readme.read_text()))
    else:
        print(markdown())
