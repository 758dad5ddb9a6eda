"""Sphinx configuration. Built with warnings as errors: ``make docs``."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import resource_table  # noqa: E402

from basecrm_like import VERSION  # noqa: E402

project = "basecrm_like"
author = "The basecrm_like developers"
copyright = "2026, The basecrm_like developers"
release = VERSION
version = VERSION

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
exclude_patterns = ["_build", "_generated/.gitkeep"]
html_theme = "alabaster"
suppress_warnings = ["ref.python"]

# The resource table is generated from the catalog at every build.
generated = HERE / "_generated"
generated.mkdir(exist_ok=True)
(generated / "resources.rst").write_text(resource_table.rst())
extensions.append("openapi_document")  # writes openapi.json into the built docs
