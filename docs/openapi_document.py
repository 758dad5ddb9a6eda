"""Sphinx extension: write the OpenAPI document, generated from the catalog, next
to the built pages (``openapi.json`` at the root of the HTML output)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from basecrm_like.mock.openapi import build_document


def write_document(app: Any, exception: BaseException | None) -> None:
    if exception is None:
        target = Path(app.outdir) / "openapi.json"
        target.write_text(json.dumps(build_document(), indent=1, sort_keys=False) + "\n")


def setup(app: Any) -> dict[str, Any]:
    app.connect("build-finished", write_document)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
