"""An OpenAPI 3.1 document of the API, generated from the catalog.

The mock serves it at ``/_mock/openapi.json`` and the docs build writes it next
to the guides, so tools (schemathesis, Prism, code generators) see exactly what
the client and the mock implement. Each family of paths has one function that
returns its ``paths`` entries; :data:`PATH_FAMILIES` lists them, so another API
(Search or Firehose v3) is one more function appended there.

Reads only the catalog: no HTTP, no server state.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..catalog import ADDRESS_KEYS, RESOURCES, Field, Resource, include_names, includes_of
from ..catalog.search import SEARCHABLE, WITH_SCHEMA
from ..version import VERSION
from .backend.search_schema import SEARCH_SCHEMA
from .wire.firehose import DEFAULT_LIMIT, MAX_LIMIT

OPENAPI_VERSION = "3.1.0"
API_PREFIX = "/v2"
JSON = "application/json"
ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
#: spellings of ``{resource_type}`` in ``/v2/{resource_type}/custom_fields``
CUSTOM_FIELD_KINDS = ("contact", "contacts", "deal", "deals", "lead", "leads",
                      "prospect_and_customer")

PathItems = dict[str, dict[str, Any]]


# -- schemas ------------------------------------------------------------------------------
def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema = {**schema, "type": [kind, "null"]}
    if "enum" in schema:
        schema = {**schema, "enum": [*schema["enum"], None]}
    return schema


def field_schema(spec: Field) -> dict[str, Any]:
    """The JSON Schema of one attribute as the API sends it (null allowed)."""
    simple: dict[str, dict[str, Any]] = {
        "integer": {"type": "integer"},
        "string": {"type": "string"},
        "boolean": {"type": "boolean"},
        "decimal": {"type": "string", "description": "exact decimal, e.g. \"1250.50\""},
        "number": {"type": "number"},
        "datetime": {"type": "string", "format": "date-time"},
        "date": {"type": "string", "format": "date"},
        "address": {"type": "object",
                    "properties": {key: {"type": ["string", "null"]} for key in ADDRESS_KEYS}},
        "custom_fields": {"type": "object"},
        "object": {"type": "object"},
    }
    lists: dict[str, dict[str, Any]] = {
        "tags": {"type": "array", "items": {"type": "string"}},
        "integer_list": {"type": "array", "items": {"type": "integer"}},
        "object_list": {"type": "array", "items": {"type": "object"}},
    }
    if spec.type in lists:
        return _nullable(dict(lists[spec.type]))
    schema = dict(simple[spec.type])
    if spec.enum:
        schema["enum"] = list(spec.enum)
    return _nullable(schema)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    kinds = [kind for kind in schema.get("type", []) if kind != "null"]
    out = {**schema, "type": kinds[0] if len(kinds) == 1 else kinds}
    if "enum" in out:
        out["enum"] = [value for value in out["enum"] if value is not None]
    return out


def _input_schema(spec: Field) -> dict[str, Any]:
    """What a client may send: decimals also as JSON numbers."""
    schema = field_schema(spec)
    if spec.type == "decimal":
        return {**schema, "type": ["string", "number", "null"]}
    return schema


def record_schema(res: Resource) -> dict[str, Any]:
    properties = {f.name: field_schema(f) for f in res.fields}
    for inc in includes_of(res):   # present only when ``includes`` asks for them
        properties[inc.name] = ({"type": "array", "items": {"type": "object"}} if inc.many
                                else {"type": ["object", "null"]})
    return {"type": "object", "title": res.model_name, "description": res.description,
            "properties": properties}


def input_schema(res: Resource, creating: bool) -> dict[str, Any]:
    writable = [f for f in res.fields if f.access == "rw" or (creating and f.access == "c")]
    data: dict[str, Any] = {"type": "object", "additionalProperties": False,
                            "properties": {f.name: _input_schema(f) for f in writable}}
    if creating and res.required:
        data["required"] = list(res.required)
        for name in res.required:  # a required attribute must have a value
            data["properties"][name] = _not_null(data["properties"][name])
    return {"type": "object", "required": ["data"], "properties": {"data": data}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def single_schema(res: Resource) -> dict[str, Any]:
    return {"type": "object", "required": ["data", "meta"], "properties": {
        "data": _ref(res.model_name),
        "meta": {"type": "object", "properties": {"type": {"const": res.type}}}}}


def collection_schema(res: Resource) -> dict[str, Any]:
    links = {"type": "object", "additionalProperties": {"type": "string"}}
    return {"type": "object", "required": ["items", "meta"], "properties": {
        "items": {"type": "array", "items": _ref(f"{res.model_name}Envelope")},
        "meta": {"type": "object", "required": ["type", "count"], "properties": {
            "type": {"const": "collection"}, "count": {"type": "integer", "minimum": 0},
            "links": links}}}}


def error_schemas() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    item = {"type": "object", "required": ["error", "meta"], "properties": {
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "details": nullable_text, "resource": nullable_text, "field": nullable_text}},
        "meta": {"type": "object"}}}
    envelope = {"type": "object", "required": ["errors", "meta"], "properties": {
        "errors": {"type": "array", "items": _ref("ErrorItem")},
        "meta": {"type": "object", "required": ["type", "http_status"], "properties": {
            "type": {"const": "errors"}, "http_status": {"type": "string"},
            "logref": {"type": "string"},
            "links": {"type": "object", "additionalProperties": {"type": "string"}}}}}}
    return {"ErrorItem": item, "ErrorEnvelope": envelope}


# -- operations -----------------------------------------------------------------------------
def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors() -> dict[str, Any]:
    return {"default": _json_response("An error, in the API's error envelope", ERROR_REF)}


def _query_param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


def includes_param(res: Resource) -> dict[str, Any]:
    names = include_names(res)
    return _query_param("includes", {"type": "string"},
                        f"Comma-separated related records to embed: {', '.join(names)}"
                        if names else "Not supported here (400 invalid_param)")


def filter_params(res: Resource) -> list[dict[str, Any]]:
    """One query parameter per catalog filter, typed like its attribute."""
    params = []
    for name in res.filters:
        if name == "includes":
            params.append(includes_param(res))
            continue
        spec = res.field(name)
        if spec is not None and spec.type in ("integer", "boolean"):
            schema: dict[str, Any] = {"type": spec.type}
        else:
            schema = {"type": "string"}
        if spec is not None and spec.enum:
            schema["enum"] = list(spec.enum)
        params.append(_query_param(name, schema))
    return params


def list_params(res: Resource) -> list[dict[str, Any]]:
    page: dict[str, Any] = {"type": "integer", "minimum": 1}
    if res.max_page is not None:
        page["maximum"] = res.max_page
    params = [_query_param("page", page),
              _query_param("per_page", {"type": "integer", "minimum": 1,
                                        "maximum": res.max_per_page})]
    sortable = ["id", *res.sort_by]
    params.append(_query_param("sort_by", {"type": "string", "enum": [
        f"{name}{suffix}" for name in sortable for suffix in ("", ":asc", ":desc")]}))
    return params + [p for p in filter_params(res)
                     if p["name"] not in ("page", "per_page", "sort_by")]


def _path_params(res: Resource, member: bool) -> list[dict[str, Any]]:
    params = []
    for name in res.parent_params:
        schema: dict[str, Any] = ({"type": "string", "enum": list(CUSTOM_FIELD_KINDS)}
                                  if name == "resource_type" else {"type": "integer"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if member:
        params.append({"name": res.id_field, "in": "path", "required": True,
                       "schema": {"type": "integer"}})
    return params


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def resource_paths(res: Resource) -> PathItems:
    """The v2 paths of one catalog resource, one operation per action."""
    base = API_PREFIX + res.path
    member = f"{base}/{{{res.id_field}}}"
    name = res.model_name
    single = _json_response(f"One {res.type}", _ref(f"{name}Envelope"))
    items: PathItems = {}

    def add(path: str, method: str, action: str, operation: dict[str, Any]) -> None:
        operation.setdefault("parameters", [])
        operation["parameters"] = [*_path_params(res, path == member), *operation["parameters"]]
        operation["operationId"] = f"{res.name}_{action}"
        operation["tags"] = [res.name]
        operation["responses"] = {**operation["responses"], **_errors()}
        items.setdefault(path, {})[method] = operation

    updating = _body(input_schema(res, creating=False))
    operations: dict[str, tuple[str, str, dict[str, Any]]] = {
        "list": (base, "get", {"summary": f"List {res.name}", "parameters": list_params(res),
                               "responses": {"200": _json_response(
                                   f"A page of {res.name}", _ref(f"{name}Collection"))}}),
        "create": (base, "post", {"summary": f"Create a {res.type}",
                                  "requestBody": _body(input_schema(res, creating=True)),
                                  "responses": {"200": single}}),
        "retrieve": (member, "get", {"summary": f"Retrieve a {res.type}",
                                     "parameters": [includes_param(res)] if includes_of(res)
                                     else [],
                                     "responses": {"200": single}}),
        "update": (member, "put", {"summary": f"Update a {res.type}", "requestBody": updating,
                                   "responses": {"200": single}}),
        "destroy": (member, "delete", {"summary": f"Delete a {res.type}",
                                       "responses": {"204": {"description": "Deleted"}}}),
        "upsert": (f"{base}/upsert", "post", {
            "summary": f"Create or update the {res.type} the filters identify",
            "parameters": filter_params(res), "requestBody": updating,
            "responses": {"200": single}}),
        "self": (f"{base}/self", "get", {"summary": f"The token's {res.type}",
                                         "responses": {"200": single}}),
    }
    for action, (path, method, operation) in operations.items():
        if action in res.actions:
            add(path, method, action, operation)
    return items


def catalog_paths() -> PathItems:
    """Every v2 resource of the catalog."""
    paths: PathItems = {}
    for res in RESOURCES:
        paths.update(resource_paths(res))
    return paths


def sync_paths() -> PathItems:
    """The Sync API (the device header is required on each call)."""
    device = {"name": "X-Basecrm-Device-UUID", "in": "header", "required": True,
              "schema": {"type": "string", "minLength": 1}}
    anything = {"type": "object"}
    return {
        f"{API_PREFIX}/sync/start": {"post": {
            "operationId": "sync_start", "tags": ["sync"], "parameters": [device],
            "responses": {"201": _json_response("A new session", anything),
                          "204": {"description": "Nothing new for this device"}, **_errors()}}},
        f"{API_PREFIX}/sync/{{session_id}}/queues/{{queue}}": {"get": {
            "operationId": "sync_fetch", "tags": ["sync"], "parameters": [
                device,
                {"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "queue", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json_response("The next page of changes", anything),
                          "204": {"description": "The queue is drained"}, **_errors()}}},
        f"{API_PREFIX}/sync/ack": {"post": {
            "operationId": "sync_ack", "tags": ["sync"], "parameters": [device],
            "requestBody": _body({"type": "object", "required": ["data"], "properties": {
                "data": {"type": "object", "required": ["ack_keys"], "properties": {
                    "ack_keys": {"type": "array", "items": {"type": "string"}}}}}}),
            "responses": {"202": {"description": "Acknowledged"}, **_errors()}}},
    }


V3_PREFIX = "/v3"
YAML = "application/yaml"


def _rename_refs(schema: Any) -> Any:
    """The Search schema's draft-07 ``#/definitions/x`` refs as components (``Search_x``)."""
    if isinstance(schema, dict):
        return {key: (f"#/components/schemas/Search_{value.rsplit('/', 1)[-1]}"
                      if key == "$ref" else _rename_refs(value))
                for key, value in schema.items() if key not in ("$schema", "definitions")}
    if isinstance(schema, list):
        return [_rename_refs(item) for item in schema]
    return schema


def search_component_schemas() -> dict[str, Any]:
    """The mock's own Search request schema (what it validates with), plus its answers."""
    schemas = {f"Search_{name}": _rename_refs(definition)
               for name, definition in SEARCH_SCHEMA["definitions"].items()}
    schemas["SearchRequest"] = _rename_refs(SEARCH_SCHEMA)
    text = {"type": ["string", "null"]}
    result = {"type": "object", "required": ["successful"], "properties": {
        "successful": {"type": "boolean"},
        "items": {"type": "array", "items": {
            "type": "object", "required": ["data", "meta"], "properties": {
                "data": {"type": "object"},
                "meta": {"type": "object", "properties": {"type": {"type": "string"}}}}}},
        "meta": {"type": "object", "required": ["type", "count", "total_count"], "properties": {
            "type": {"const": "collection"},
            "count": {"type": "integer", "minimum": 0},
            "total_count": {"type": "integer", "minimum": 0},
            "links": {"type": "object", "additionalProperties": text},
            "aggregations": {"type": "object"}}},
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": text}}}}
    attribute = {"type": "object", "required": ["type"], "properties": {
        "type": {"type": "string"}, "filter_field": {"type": "string"},
        "sort_field": {"type": "string"}, "attributes": {"$ref": "#/components/schemas/"
                                                                 "SearchAttributeMap"}}}
    schemas["SearchAttributeMap"] = {"type": "object", "additionalProperties": attribute}
    schemas["SearchAttributes"] = {"type": "object", "required": ["attributes"],
                                   "properties": {"attributes": _ref("SearchAttributeMap")}}
    schemas["SearchAnswer"] = {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": result}}}
    custom_field = {"type": "object", "required": ["data", "meta"], "properties": {
        "data": {"type": "object", "required": ["id", "name", "search_api_id"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "type": text,
            "resource_type": {"type": "string"}, "search_api_id": {"type": "string"}}},
        "meta": {"type": "object", "properties": {"type": {"const": "custom_field"}}}}}
    schemas["SearchCustomFields"] = {"type": "object", "required": ["items", "meta"],
                                     "properties": {
        "items": {"type": "array", "items": custom_field},
        "meta": {"type": "object", "required": ["type", "count"], "properties": {
            "type": {"const": "collection"}, "count": {"type": "integer", "minimum": 0}}}}}
    return schemas


def _v3_operation(operation_id: str, tag: str, summary: str, answer: dict[str, Any],
                  **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "tags": [tag], "summary": summary, **extra,
            "responses": {"200": answer, **_errors()}}


def search_paths() -> PathItems:
    """The Search API v3: batched searches, custom-field ids and the searchable schemas."""
    paths: PathItems = {f"{V3_PREFIX}/search-schema": {"get": _v3_operation(
        "search_schema", "search", "The JSON Schema of a search request",
        _json_response("A JSON Schema (draft-07)", {"type": "object",
                                                      "required": ["definitions"]}))}}
    for name in SEARCHABLE:
        paths[f"{V3_PREFIX}/{name}/search"] = {"post": _v3_operation(
            f"{name}_search", "search", f"Run a batch of searches over {name}",
            _json_response("One result per query of the batch", _ref("SearchAnswer")),
            requestBody=_body(_ref("SearchRequest")))}
    for name in WITH_SCHEMA:
        paths[f"{V3_PREFIX}/{name}/custom_fields"] = {"get": _v3_operation(
            f"{name}_search_custom_fields", "search",
            f"The custom fields of {name}, with their search ids",
            _json_response("The custom fields", _ref("SearchCustomFields")))}
        paths[f"{V3_PREFIX}/{name}/schema"] = {"get": _v3_operation(
            f"{name}_search_schema", "search", f"The attributes {name} are searched by",
            {"description": "The attributes and their search types, as YAML",
             "content": {YAML: {"schema": _ref("SearchAttributes")}}})}
    return paths


def stream_event_schema(res: Resource) -> dict[str, Any]:
    """One Firehose event: the record after the write (or as deleted) and what happened."""
    return {"type": "object", "required": ["data", "meta"], "properties": {
        "data": _ref(res.model_name),
        "meta": {"type": "object", "required": ["type", "event_type", "event_id", "sequence"],
                 "properties": {
                     "type": {"const": res.type},
                     "event_type": {"type": "string", "enum": ["created", "updated", "deleted"]},
                     "event_id": {"type": "string"}, "event_cause": {"type": "string"},
                     "event_time": {"type": "string", "format": "date-time"},
                     "sequence": {"type": "integer", "minimum": 1},
                     "previous": {"type": "object"}}}}}


def firehose_paths() -> PathItems:
    """The Firehose API v3: one event stream per catalog resource."""
    params = [
        _query_param("position", {"type": "string", "minLength": 1},
                     "tail (the default), top, or meta.position of an earlier answer"),
        _query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                               "default": DEFAULT_LIMIT})]
    paths: PathItems = {}
    for res in RESOURCES:
        page = {"type": "object", "required": ["items", "meta"], "properties": {
            "items": {"type": "array", "items": stream_event_schema(res)},
            "meta": {"type": "object", "required": ["position", "top", "links"], "properties": {
                "type": {"const": "collection"}, "count": {"type": "integer", "minimum": 0},
                "position": {"type": "string"}, "top": {"type": "boolean"},
                "links": {"type": "object", "required": ["next"],
                          "properties": {"next": {"type": "string"}}}}}}}
        paths[f"{V3_PREFIX}/{res.name}/stream"] = {"get": _v3_operation(
            f"{res.name}_stream", "firehose", f"The next events of {res.name}",
            _json_response("A page of events, and the position to read on from", page),
            parameters=params)}
    return paths


#: the families of paths in the document, in order
PATH_FAMILIES: tuple[Callable[[], PathItems], ...] = (catalog_paths, sync_paths, search_paths,
                                                      firehose_paths)


def component_schemas(resources: Iterable[Resource] = RESOURCES) -> dict[str, Any]:
    schemas: dict[str, Any] = {**error_schemas(), **search_component_schemas()}
    for res in resources:
        schemas[res.model_name] = record_schema(res)
        schemas[f"{res.model_name}Envelope"] = single_schema(res)
        schemas[f"{res.model_name}Collection"] = collection_schema(res)
    return schemas


def build_document(server_url: str = "https://api.getbase.com",
                   families: Iterable[Callable[[], PathItems]] = PATH_FAMILIES) -> dict[str, Any]:
    """The whole document; ``server_url`` is the base URL it describes."""
    paths: PathItems = {}
    for family in families:
        for path, operations in family().items():
            paths.setdefault(path, {}).update(operations)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Base CRM (Zendesk Sell) Core API", "version": VERSION,
                 "description": "Generated from the basecrm_like catalog: what the client "
                                "and its mock server implement."},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {"schemas": component_schemas(),
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }
