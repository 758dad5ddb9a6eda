"""The README's resource table is the catalog's, and its examples run."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_table_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("resource_table", ROOT / "docs" / "resource_table.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_readme_table_matches_catalog() -> None:
    table = load_table_module()
    readme = (ROOT / "README.md").read_text()
    assert table.readme_with_table(readme) == readme, (
        "README.md's resource table is stale: run `python docs/resource_table.py --readme`"
    )
    from basecrm_like.resources import RESOURCES

    for res in RESOURCES:
        assert f"`client.{res.name}`" in readme


def test_readme_mentions_both_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_readme_configuration_example_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Configuration\s+```python\n(.*?)```", readme, re.S)
    assert block is not None
    exec(compile(block.group(1), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "1000.99"
