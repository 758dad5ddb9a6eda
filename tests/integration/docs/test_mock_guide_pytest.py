"""The mock guide's pytest module runs as a reader would run it: saved to a file, under
pytest, with the fixtures of the installed plugin."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "mock.rst"


def pytest_module_of_the_guide() -> str:
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)",
                        GUIDE.read_text(encoding="utf-8"), re.M)
    modules = [textwrap.dedent(b) for b in blocks if "def test_" in b]
    assert len(modules) == 1, "the guide should show exactly one pytest module"
    return modules[0]


def test_the_guides_pytest_example_passes(tmp_path: Path) -> None:
    (tmp_path / "test_customers.py").write_text(pytest_module_of_the_guide())
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_customers.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout
