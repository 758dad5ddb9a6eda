"""Search API v3 over HTTP: batched search, the custom-field mapping and the schemas.

``POST /v3/{deals,leads,contacts,notes,tasks}/search`` answers 200 with one
result per item; only a body that is not a batch at all (no ``items`` list)
answers 400 ``invalid_payload``. A refused item carries ``successful: false``
and ``error: {code, message, field}`` (``field`` a JSON Pointer into the body).
"""
from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ...catalog import CATALOG
from ...catalog.search import SEARCHABLE, WITH_SCHEMA, search_attributes
from ..backend import query
from ..backend.errors import error
from ..backend.search import custom_field_items, encode_answer, run_batch
from ..backend.search_schema import MAX_BATCH, SEARCH_SCHEMA
from .replies import json_reply
from .request import Call
from .routes import Route

V3 = "/v3"


def _kinds(names: tuple[str, ...]) -> str:
    return f"<any({', '.join(names)}):resource>"


def search(call: Call) -> Response:
    query.check_known(call.args, [])
    body = call.body()
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise error(400, "invalid_payload", "A search body is a batch",
                    'Send {"items": [{"data": {"query": {...}}}]}: one item per query.')
    extra = sorted(set(body) - {"items"})
    if extra or not 1 <= len(body["items"]) <= MAX_BATCH:
        raise error(400, "invalid_payload", "The search body does not fit the search schema",
                    f"unknown key {extra[0]!r}" if extra else
                    f"a batch holds 1 to {MAX_BATCH} queries, got {len(body['items'])} "
                    "(see GET /v3/search-schema)", field=f"/{extra[0]}" if extra else "/items")
    items: list[Any] = body["items"]
    answers: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"data"}:
            answers.append({"successful": False, "error": {
                "code": "invalid_query", "field": f"/items/{index}",
                "message": 'each item is {"data": {...one query...}}'}})
            continue
        answers.extend(run_batch(call.store, call.values["resource"], [item]))
        if not answers[-1]["successful"] and answers[-1]["error"].get("field"):
            answers[-1]["error"]["field"] = answers[-1]["error"]["field"].replace(
                "/items/0/", f"/items/{index}/", 1)
    return json_reply(200, encode_answer({"items": answers}))


def custom_fields(call: Call) -> Response:
    query.check_known(call.args, [])
    res = CATALOG[call.values["resource"]]
    items = [{"data": item, "meta": {"type": "custom_field"}}
             for item in custom_field_items(call.store, res)]
    return json_reply(200, {"items": items, "meta": {"type": "collection", "count": len(items)}})


def schema_yaml(resource: str) -> str:
    """``attributes:`` with each attribute's type, and sort/filter fields for objects."""
    lines = ["attributes:"]
    objects: dict[str, list[tuple[str, str]]] = {}
    for name, attr in search_attributes(resource).items():
        if "." in name:
            head, tail = name.split(".", 1)
            objects.setdefault(head, []).append((tail, attr.type))
            continue
        lines += [f"  {name}:", f"    type: {attr.type}"]
    lines += ["  version:", "    type: version"]
    for head, members in objects.items():
        lines += [f"  {head}:", "    type: object"]
        if any(tail == "id" for tail, _ in members):
            lines += ["    filter_field: id", "    sort_field: id"]
        lines.append("    attributes:")
        for tail, kind in members:
            lines += [f"      {tail}:", f"        type: {kind}"]
    if CATALOG[resource].has_custom_fields:
        lines += ["  custom_fields:", "    type: custom_fields_root"]
    return "\n".join(lines) + "\n"


def schema(call: Call) -> Response:
    query.check_known(call.args, [])
    return Response(schema_yaml(call.values["resource"]), status=200,
                    content_type="application/yaml; charset=utf-8")


def search_schema(call: Call) -> Response:
    query.check_known(call.args, [])
    return json_reply(200, SEARCH_SCHEMA)


def search_routes() -> list[Route]:
    """The Search API v3 endpoints (searches only read: they run in a read transaction)."""
    return [
        Route(f"{V3}/{_kinds(SEARCHABLE)}/search", ("POST",), search, write=False,
              name="search.search"),
        Route(f"{V3}/{_kinds(WITH_SCHEMA)}/custom_fields", ("GET",), custom_fields,
              name="search.custom_fields"),
        Route(f"{V3}/{_kinds(WITH_SCHEMA)}/schema", ("GET",), schema, name="search.schema"),
        Route(f"{V3}/search-schema", ("GET",), search_schema, name="search.search_schema"),
    ]
