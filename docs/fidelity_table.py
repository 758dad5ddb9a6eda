"""The mock guide's table of what was checked against public sources, generated from the
catalog (``basecrm_like/catalog/fidelity.py`` and ``includes.py``) at every docs build."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from basecrm_like.catalog import RESOURCES, include_names  # noqa: E402
from basecrm_like.catalog.fidelity import FIDELITY, source_url  # noqa: E402

SOURCE_NAMES = {"clients": "official clients", "basecrm-java": "basecrm-java"}


def _source(source: str) -> str:
    if source.startswith("ref:"):
        return f"`{source[4:]} <{source_url(source)}>`__"
    return SOURCE_NAMES.get(source, source)


def rst() -> str:
    rows = [".. list-table::", "   :header-rows: 1", "   :widths: 18 34 22 26", "",
            "   * - resource", "     - checked against", "     - still guessed",
            "     - includes / notes"]
    for res in RESOURCES:
        entry = FIDELITY[res.name]
        guessed = ", ".join(f"``{name}``" for name in entry.guessed) or "none"
        notes = [f"includes: {', '.join(f'``{n}``' for n in include_names(res))}"] \
            if include_names(res) else []
        if entry.note:
            notes.append(entry.note)
        rows += [f"   * - ``{res.name}``", f"     - {', '.join(map(_source, entry.sources))}",
                 f"     - {guessed}", f"     - {'; '.join(notes) or '—'}"]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(rst())
