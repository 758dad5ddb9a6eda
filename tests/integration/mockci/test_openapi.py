"""The OpenAPI document: generated from the catalog, served by the mock, and
fuzzed against the running mock with schemathesis (a bounded number of cases)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from basecrm_like.catalog import RESOURCES
from basecrm_like.catalog.search import SEARCHABLE, WITH_SCHEMA
from basecrm_like.mock import serve
from basecrm_like.mock.backend.search_schema import SEARCH_SCHEMA
from basecrm_like.mock.openapi import build_document

#: generated cases per operation: one reaches every operation and keeps CI fast; set
#: BASECRM_FUZZ_EXAMPLES for a deeper local run
EXAMPLES_PER_OPERATION = int(os.environ.get("BASECRM_FUZZ_EXAMPLES", "1"))
#: the operations the coverage phase walks (it generates every boundary and negative case of
#: their parameters and bodies, and has no per-operation limit): a list with filters, paging
#: and includes, a capped list with a cursor, a retrieve with includes, a create and a
#: Search batch. BASECRM_COVERAGE_OPERATIONS=".*" walks all 152 (about 8,600 cases, over
#: a minute).
COVERAGE_OPERATIONS = os.environ.get(
    "BASECRM_COVERAGE_OPERATIONS",
    r"^(deals_list|lead_conversions_list|contacts_retrieve|collaborations_create|"
    r"contacts_search)$")


def test_document_covers_every_catalog_action_and_is_served(basecrm_mock: Any) -> None:
    served = requests.get(f"{basecrm_mock.url}/_mock/openapi.json", timeout=10).json()
    assert served == build_document(basecrm_mock.url)
    assert served["openapi"] == "3.1.0"
    paths = served["paths"]
    operations = {(method.upper(), path) for path, item in paths.items() for method in item}
    for res in RESOURCES:
        base = f"/v2{res.path}"
        member = f"{base}/{{{res.id_field}}}"
        wanted = {"list": ("GET", base), "create": ("POST", base), "retrieve": ("GET", member),
                  "update": ("PUT", member), "destroy": ("DELETE", member),
                  "upsert": ("POST", f"{base}/upsert"), "self": ("GET", f"{base}/self")}
        assert {wanted[action] for action in res.actions} <= operations, res.name
    assert ("POST", "/v2/sync/start") in operations
    listing = paths["/v2/lead_conversions"]["get"]
    page = next(p for p in listing["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == 50
    create = paths["/v2/collaborations"]["post"]["requestBody"]["content"]["application/json"]
    assert create["schema"]["properties"]["data"]["required"] == [
        "resource_type", "resource_id", "collaborator_id"]
    errors = paths["/v2/deals"]["post"]["responses"]["default"]["content"]["application/json"]
    assert errors["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_document_covers_search_and_firehose_v3(basecrm_mock: Any) -> None:
    served = requests.get(f"{basecrm_mock.url}/_mock/openapi.json", timeout=10).json()
    paths, schemas = served["paths"], served["components"]["schemas"]
    for name in SEARCHABLE:
        body = paths[f"/v3/{name}/search"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/SearchRequest"}
    for name in WITH_SCHEMA:
        assert "get" in paths[f"/v3/{name}/custom_fields"]
        assert "application/yaml" in paths[f"/v3/{name}/schema"]["get"]["responses"]["200"][
            "content"]
    assert "get" in paths["/v3/search-schema"]
    for res in RESOURCES:
        stream = paths[f"/v3/{res.name}/stream"]["get"]
        limit = next(p for p in stream["parameters"] if p["name"] == "limit")
        assert limit["schema"]["maximum"] == 100
    # the request schema is the one the mock validates with, its refs moved to components
    assert schemas["SearchRequest"]["properties"]["items"]["maxItems"] == \
        SEARCH_SCHEMA["properties"]["items"]["maxItems"]
    query = schemas["Search_query"]["properties"]
    assert set(query) == set(SEARCH_SCHEMA["definitions"]["query"]["properties"])
    refs = re.findall(r'"\$ref": ?"([^"]+)"', json.dumps(served))
    assert refs and all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)


@pytest.mark.parametrize("data, code", [
    # a page far past the last record is an empty page (it overflowed SQLite's integers)
    ({"page": 244992962410297696}, None),
    # a number as text beyond 64 bits is refused in the item, not a server error
    ({"query": {"filter": {"filter": {"attribute": {"name": "id"},
                                      "parameter": {"eq": str(2**70)}}}}}, "invalid_value"),
])
def test_search_inputs_the_fuzz_run_found(basecrm_mock: Any, data: dict[str, Any],
                                          code: str | None) -> None:
    answer = requests.post(f"{basecrm_mock.url}/v3/contacts/search",
                           json={"items": [{"data": data}]}, timeout=10,
                           headers={"Authorization": f"Bearer {basecrm_mock.token}"})
    assert answer.status_code == 200, answer.text[:500]
    item = answer.json()["items"][0]
    if code is None:
        assert item["successful"] is True and item["items"] == []
    else:
        assert item["successful"] is False and item["error"]["code"] == code


def _schemathesis(server: Any, cwd: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """The command line, run in a temporary directory: it leaves a cache where it runs."""
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        pytest.fail("schemathesis is missing: it is part of the test extra (make install)")
    return subprocess.run(
        [str(st), "run", f"{server.url}/_mock/openapi.json", "--seed", "20261130",
         "--header", f"Authorization: Bearer {server.token}",
         "--checks", "not_a_server_error,response_schema_conformance,"
                     "status_code_conformance,content_type_conformance", *options],
        capture_output=True, text=True, timeout=240, cwd=cwd)


def test_the_fuzz_run_fails_when_the_mock_answers_500(tmp_path: Path) -> None:
    """The run below can fail: a scripted 500 on one operation is reported."""
    with serve() as server:
        server.stub("GET", "/v2/users/self", status=500, body={"errors": []}, times=None)
        done = _schemathesis(server, tmp_path, "--max-examples", "1", "--phases", "examples,fuzzing",
                             "--include-path", "/v2/users/self")
    assert done.returncode != 0, done.stdout[-2000:]
    assert "Server error" in done.stdout and "/v2/users/self" in done.stdout


def test_schemathesis_finds_no_server_error_and_no_nonconforming_answer(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serve() as server:
        done = _schemathesis(server, tmp_path, "--max-examples", str(EXAMPLES_PER_OPERATION),
                             "--workers", "2", "--phases", "examples,fuzzing")
        operations = sum(len(item) for item in build_document()["paths"].values())
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    with capsys.disabled():
        print(f"\nschemathesis: {counts.group(0) if counts else 'no count'} "
              f"over {operations} operations")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert counts is not None, done.stdout[-2000:]
    generated, passed = int(counts.group(1)), int(counts.group(2))
    assert generated == passed and generated >= operations * EXAMPLES_PER_OPERATION * 0.9


def _counts(done: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert counts is not None, done.stdout[-2000:] + done.stderr[-2000:]
    return int(counts.group(1)), int(counts.group(2))


def test_schemathesis_coverage_phase(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Every boundary and negative case of a bounded set of operations: no 5xx and
    answers that conform to the document.

    One worker: with several, the phase fails at random in the generator itself
    (Hypothesis describes its strategies with ``ast.parse``, which CPython 3.11
    does not allow from concurrent threads: "AST constructor recursion depth
    mismatch"), whatever the document says."""
    with serve() as server:
        done = _schemathesis(server, tmp_path, "--phases", "coverage", "--workers", "1",
                             "--include-operation-id-regex", COVERAGE_OPERATIONS)
    generated, passed = _counts(done)
    selected = re.search(r"Selected: (\d+)/\d+", done.stdout)
    with capsys.disabled():
        print(f"\nschemathesis coverage phase: {generated} generated, {passed} passed over "
              f"{selected.group(1) if selected else '?'} operations")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Errored" not in done.stdout and generated == passed
    assert generated >= 100   # the coverage phase did run: it is not a handful of examples


