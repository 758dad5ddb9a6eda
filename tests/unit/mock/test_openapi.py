from __future__ import annotations

from basecrm_like.catalog import get
from basecrm_like.mock.openapi import PATH_FAMILIES, build_document, field_schema, input_schema


def test_field_schemas_allow_null_and_keep_enums() -> None:
    stage = get("stages").field("category")
    assert stage is not None
    schema = field_schema(stage)
    assert schema["type"] == ["string", "null"] and None in schema["enum"]


def test_required_create_attributes_cannot_be_null() -> None:
    data = input_schema(get("deals"), creating=True)["properties"]["data"]
    assert data["required"] == ["name", "contact_id"]
    assert data["properties"]["contact_id"]["type"] == "integer"
    assert data["properties"]["value"]["type"] == ["string", "number", "null"]
    assert "id" not in data["properties"] and data["additionalProperties"] is False


def test_another_family_of_paths_is_one_function_more() -> None:
    def next_paths() -> dict[str, dict[str, object]]:
        return {"/v4/deals/search": {"post": {"responses": {"200": {"description": "ok"}}}}}

    document = build_document(families=(*PATH_FAMILIES, next_paths))
    assert "/v4/deals/search" in document["paths"] and "/v2/deals" in document["paths"]
    assert "/v4/deals/search" not in build_document()["paths"]
