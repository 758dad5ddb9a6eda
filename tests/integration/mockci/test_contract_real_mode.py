"""The contract suite in real-account mode, with a second mock as the account:
it passes, leaves nothing behind and never touches records it did not create."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from basecrm_like.mock import serve
from basecrm_like.mock.process import child_environment

ROOT = Path(__file__).resolve().parents[3]
#: the modules holding ``contract`` tests, and how many tests they mark
SUITE = ("tests/integration/mockci/test_contract.py", "tests/integration/mockci/test_fidelity.py",
         "tests/integration/mockci/test_includes.py", "tests/integration/test_mock_crud.py",
         "tests/integration/test_mock_protocol.py", "tests/integration/test_mock_robustness.py")
MARKED = 99
#: created under a record that carries the run id (a deal, an order), so named by it
UNNAMED = ("/v2/collaborations", "/v2/lead_conversions", "/v2/orders")


def test_contract_suite_against_an_account_cleans_up_after_itself() -> None:
    token = "c" * 64
    with serve(tokens=[token]) as account:
        existing = account.app.insert("contacts", {"last_name": "Customer"})
        before = {name: account.app.store.select_ids(res, [], [], 10_000)
                  for name, res in _resources()}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-m", "contract", *SUITE],
            cwd=ROOT, capture_output=True, text=True, timeout=240,
            env=child_environment(BASECRM_CONTRACT_URL=account.url,
                                  BASECRM_CONTRACT_TOKEN=token))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert f"{MARKED} passed" in done.stdout
        after = {name: account.app.store.select_ids(res, [], [], 10_000)
                 for name, res in _resources()}
        calls = account.calls()
    for name in before:
        if name != "lead_conversions":  # the API keeps a conversion's record
            assert after[name] == before[name], name
    assert calls, "the suite never reached the account"
    touched = [c for c in calls if c["path"] == f"/v2/contacts/{existing['id']}"
               and c["method"] in ("PUT", "DELETE")]
    assert touched == []
    created = [c["body"]["data"] for c in calls
               if c["method"] == "POST" and c["status"] == 200 and c["path"] not in UNNAMED
               and (c["path"].count("/") == 2 or c["path"].endswith("/upsert"))]
    unnamed = [data for data in created if "[bcl-" not in (
        data.get("name") or data.get("last_name") or data.get("content") or "")]
    assert created and unnamed == []


def _resources() -> list[tuple[str, object]]:
    from basecrm_like.catalog import RESOURCES

    return [(res.name, res) for res in RESOURCES if not res.parent_params]
