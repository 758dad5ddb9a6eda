"""Turning list query parameters into SQL over the stored JSON, with the API's 400s.

Filters are exact matches on the stored (normalised) values; the handful of
filters that are not plain attributes (``ids``, ``q``, ``address[...]``,
``custom_fields[...]``, tasks' ``remind`` and ``type``) are spelled out here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ...catalog import Resource
from . import cursor as cursors
from . import includes
from .errors import ApiError, error
from .values import INT64

PAGING = ("page", "per_page", "sort_by")
DEFAULT_PER_PAGE = 25
#: accepted and ignored: they shape the real API's answer, not which records match
IGNORED = frozenset({"includes", "cursor"})
_BRACKET = re.compile(r"^(address|custom_fields)\[([^\[\]]+)\]$")


@dataclass
class Listing:
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: str = "id ASC"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    #: set when a ``cursor`` (on lists with a page cap) says where the page starts
    offset: int | None = None
    #: the related records ``includes`` asks to embed in each item
    includes: tuple[Any, ...] = ()


def _invalid(name: str, message: str) -> ApiError:
    return error(400, "invalid_param", f"Invalid value of query parameter {name!r}: {message}",
                 field=name)


def unknown_param(name: str, allowed: list[str]) -> ApiError:
    hint = f"; the parameters here are: {', '.join(allowed)}" if allowed else \
        "; this endpoint takes no query parameters"
    return error(400, "unknown_param", f"Unknown query parameter {name!r}",
                 f"Unknown query parameter {name!r}{hint}", field=name)


def check_known(args: Mapping[str, str], allowed: tuple[str, ...] | list[str],
                custom_fields: bool = False) -> None:
    """400 ``unknown_param`` for the first parameter not in ``allowed``."""
    for name in args:
        if name in allowed:
            continue
        match = _BRACKET.match(name)
        if match and match.group(1) == "custom_fields" and custom_fields:
            continue
        raise unknown_param(name, list(allowed))


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise _invalid(name, f"{value!r} is not true or false")


MAX_IDS = 1000


def _parse_int(name: str, value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise _invalid(name, f"{value!r} is not an integer") from None
    if not -INT64 <= number <= INT64:
        raise _invalid(name, f"{value!r} is out of range")
    return number


def _json_path(*keys: str) -> str:
    parts = []
    for key in keys:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            parts.append(key)
        else:
            parts.append('"' + key.replace('"', "") + '"')
    return "$." + ".".join(parts)


def _field_condition(res: Resource, name: str, value: str, out: Listing) -> None:
    spec = res.field(name)
    if spec is None:
        return
    expr = "json_extract(data, ?)"
    path = _json_path(name)
    if spec.type in ("integer",):
        out.where.append(f"{expr} = ?")
        out.params += [path, _parse_int(name, value)]
    elif spec.type == "boolean":
        out.where.append(f"{expr} = ?")
        out.params += [path, 1 if parse_bool(name, value) else 0]
    elif spec.type in ("decimal", "number"):
        try:
            exact = Decimal(value.strip())
            if not exact.is_finite():
                raise InvalidOperation
            number = float(exact)
        except (InvalidOperation, ValueError, OverflowError):
            raise _invalid(name, f"{value!r} is not a finite number") from None
        out.where.append(f"CAST({expr} AS REAL) = ?")
        out.params += [path, number]
    elif spec.type in ("tags", "integer_list"):
        item: Any = _parse_int(name, value) if spec.type == "integer_list" else value
        out.where.append("EXISTS (SELECT 1 FROM json_each(data, ?) WHERE value = ?)")
        out.params += [path, item]
    else:
        out.where.append(f"{expr} = ?")
        out.params += [path, value]


def _special_condition(res: Resource, name: str, value: str, out: Listing) -> bool:
    """Filters that are not plain attributes; True when ``name`` was one of them."""
    if name == "ids":
        ids = [_parse_int(name, part) for part in value.split(",") if part.strip()]
        if not ids:
            raise _invalid(name, "give a comma-separated list of ids, e.g. ids=1,2,3")
        if len(ids) > MAX_IDS:
            raise _invalid(name, f"at most {MAX_IDS} ids per request")
        out.where.append(f"id IN ({','.join('?' * len(ids))})")
        out.params += ids
        return True
    if name in IGNORED:
        return True
    if name == "zendesk_user_ids" and res.field("zendesk_user_id") is not None:
        wanted = [part.strip() for part in value.split(",") if part.strip()]
        if not wanted:
            raise _invalid(name, "give a comma-separated list, e.g. zendesk_user_ids=1,2")
        out.where.append("CAST(json_extract(data, '$.zendesk_user_id') AS TEXT) IN "
                         f"({','.join('?' * len(wanted))})")
        out.params += wanted
        return True
    if name == "q":
        out.where.append("instr(lower(coalesce(json_extract(data, '$.content'), '')), lower(?)) > 0")
        out.params.append(value)
        return True
    if name == "remind" and res.field("remind_at") is not None:
        null = "IS NOT NULL" if parse_bool(name, value) else "IS NULL"
        out.where.append(f"json_extract(data, '$.remind_at') {null}")
        return True
    if name == "type" and res.field("type") is None and res.field("resource_type") is not None:
        kinds = {"floating": "IS NULL", "related": "IS NOT NULL"}
        if value not in kinds:
            raise _invalid(name, "use floating (no resource) or related")
        out.where.append(f"json_extract(data, '$.resource_type') {kinds[value]}")
        return True
    match = _BRACKET.match(name)
    if match and match.group(1) == "address":
        out.where.append("json_extract(data, ?) = ?")
        out.params += [_json_path("address", match.group(2)), value]
        return True
    if match and match.group(1) == "custom_fields":
        # a scalar compares as text; a multi-select list matches when it holds the value
        out.where.append("EXISTS (SELECT 1 FROM json_each(data, ?) WHERE CAST(value AS TEXT) = ?)")
        out.params += [_json_path("custom_fields", match.group(2)), value]
        return True
    return False


def filters(res: Resource, args: Mapping[str, str], out: Listing | None = None) -> Listing:
    """Conditions for the resource's filters found in ``args`` (other keys are skipped)."""
    out = out or Listing()
    for name, value in args.items():
        if name in PAGING:
            continue
        if not _special_condition(res, name, value, out):
            _field_condition(res, name, value, out)
    return out


def order_by(res: Resource, sort: str, param: str = "sort_by") -> str:
    """``"last_name:desc"`` -> SQL, with ``id`` as tie-breaker so pages never overlap."""
    parts = sort.split(":")
    direction = "asc"
    if parts[-1].lower() in ("asc", "desc") and len(parts) > 1:
        direction = parts.pop().lower()
    name = ":".join(parts)
    sql_dir = direction.upper()
    if name == "id":
        return f"id {sql_dir}"
    if name.startswith("custom_fields:") and res.has_custom_fields:
        key = name.split(":", 1)[1].replace("'", "''")
        return f"json_extract(data, '{_json_path('custom_fields', key)}') {sql_dir}, id ASC"
    spec = res.field(name)
    if spec is None:
        raise _invalid(param, f"cannot sort by {name!r}")
    expr = f"json_extract(data, '$.{spec.name}')"
    if spec.type in ("decimal", "number"):
        expr = f"CAST({expr} AS REAL)"
    return f"{expr} {sql_dir}, id ASC"


def listing(res: Resource, args: Mapping[str, str]) -> Listing:
    """Filters, order and paging of a list request; 400 on anything invalid."""
    allowed = [*PAGING, *res.filters]
    check_known(args, allowed, custom_fields=res.has_custom_fields)
    wanted = includes.check(res, args)
    out = filters(res, args)
    out.includes = wanted
    if "sort_by" in args:
        sort = args["sort_by"].strip()
        name = sort.split(":")[0]
        sortable = tuple(dict.fromkeys(("id", *res.sort_by)))   # each name once
        if name not in sortable and not (name == "custom_fields" and res.has_custom_fields):
            raise _invalid("sort_by", f"cannot sort by {name!r}; sortable: {', '.join(sortable)}")
        if sort.count(":") > (2 if name == "custom_fields" else 1) or (
                ":" in sort and name != "custom_fields"
                and sort.split(":")[1].lower() not in ("asc", "desc")):
            raise _invalid("sort_by", f"{sort!r}: use field, field:asc or field:desc")
        out.order = order_by(res, sort)
    else:
        out.order = order_by(res, res.default_sort)
    if "page" in args:
        out.page = _parse_int("page", args["page"])
        if out.page < 1:
            raise _invalid("page", "pages are numbered from 1")
    if res.max_page is not None and out.page > res.max_page:
        raise cursors.page_capped(res.max_page)
    if res.max_page is not None and args.get("cursor"):
        out.offset = cursors.decode(args["cursor"])
    if "per_page" in args:
        out.per_page = _parse_int("per_page", args["per_page"])
        if not 1 <= out.per_page <= res.max_per_page:
            raise _invalid("per_page", f"must be between 1 and {res.max_per_page}")
    if (out.page - 1) * out.per_page > INT64:
        raise _invalid("page", f"{out.page} is beyond the last page any listing can have")
    return out
