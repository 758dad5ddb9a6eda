"""Sphinx configuration. Built with warnings as errors: ``make docs``."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import fidelity_table  # noqa: E402
import resource_table  # noqa: E402

from basecrm_like import VERSION  # noqa: E402

project = "basecrm_like"
author = "The basecrm_like developers"
copyright = "2026, The basecrm_like developers"
release = VERSION
version = VERSION

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
extensions += ["sphinx_copybutton", "sphinx_click"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
# generated fragments are included by the pages, never pages of their own
exclude_patterns = ["_build", "_generated"]
html_theme = "furo"
html_title = f"basecrm_like {VERSION}"
html_static_path = ["_static"]
html_css_files = ["wide.css"]
# the copy button copies the command or code, not the prompt nor the output
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False
suppress_warnings = ["ref.python"]

# The resource table is generated from the catalog at every build.
generated = HERE / "_generated"
generated.mkdir(exist_ok=True)
(generated / "resources.rst").write_text(resource_table.rst())
(generated / "fidelity.rst").write_text(fidelity_table.rst())
extensions.append("openapi_document")  # writes openapi.json into the built docs
