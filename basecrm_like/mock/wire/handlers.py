"""The REST actions of the catalog (list, create, retrieve, update, destroy, upsert,
self), generic over resources: read the request, call the backend, answer.
:mod:`.routes` binds them to paths."""
from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from ...catalog import CATALOG, Resource
from ..backend import embedding, includes, query, records
from ..backend.errors import error
from ..backend.store import Parent
from ..backend.validation import check_body
from ..backend.values import INT64, now_iso
from .replies import collection, cursor_links, empty_reply, page_links, single
from .request import Call

Handler = Callable[[Call], Response]

#: spellings accepted in /v2/{resource_type}/custom_fields
CUSTOM_FIELD_TYPES = {"lead": "lead", "contact": "contact", "deal": "deal",
                      "prospect_and_customer": "prospect_and_customer",
                      "leads": "lead", "contacts": "contact", "deals": "deal"}


def _res(call: Call) -> Resource:
    assert call.resource is not None
    return call.resource


def not_found(res: Resource, id: object) -> Exception:
    return error(404, "not_found", "Not Found", f"There is no {res.type} with id {id}.")


def parent_of(call: Call) -> Parent:
    """The nested path's parent key, checked to exist (404 otherwise); 0 at top level."""
    res = _res(call)
    if not res.parent_params:
        return 0
    name = res.parent_params[0]
    value = call.values[name]
    if name == "resource_type":
        return CUSTOM_FIELD_TYPES[str(value)]
    owner = CATALOG.get(res.path.split("/")[1])
    if owner is not None and (not _storable(value) or not call.store.exists(owner, value)):
        raise not_found(owner, value)
    return int(value)


def list_records(call: Call) -> Response:
    res = _res(call)
    listing = query.listing(res, call.args)
    parent = parent_of(call)
    if res.parent_params:
        listing.where.append("parent = ?")
        listing.params.append(parent)
    offset = (listing.page - 1) * listing.per_page if listing.offset is None else listing.offset
    rows = call.store.select(res, listing.where, listing.params, listing.order,
                             listing.per_page + 1, offset)
    has_next = len(rows) > listing.per_page
    links = page_links(call.request, listing.page, has_next)
    if res.max_page is not None:
        links = cursor_links(call.request, links, listing, res.max_page, offset + listing.per_page)
    rows = embedding.embed(call.store, rows[:listing.per_page], listing.includes)
    return collection(res.type, rows, links)


def create_record(call: Call) -> Response:
    res = _res(call)
    query.check_known(call.args, [])
    parent = parent_of(call)
    changes = check_body(res, call.data())
    record = records.create(call.store, res, changes, parent=parent, user_id=call.user_id,
                            now=now_iso())
    return single(res.type, record)


def _storable(value: object) -> bool:
    return isinstance(value, int) and -INT64 <= value <= INT64


def _member_id(call: Call) -> object:
    """The id in the path; 404 for numbers no record can have."""
    value = call.values[_res(call).id_field]
    if not _storable(value):
        raise not_found(_res(call), value)
    return value


def retrieve_record(call: Call) -> Response:
    res = _res(call)
    query.check_known(call.args, ["includes"])
    wanted = includes.check(res, call.args)
    parent = parent_of(call)
    raw = call.store.get_raw(res, _member_id(call), parent)
    if raw is None:
        raise not_found(res, _member_id(call))
    return single(res.type, embedding.embed(call.store, [raw], wanted)[0])


def update_record(call: Call) -> Response:
    res = _res(call)
    query.check_known(call.args, [])
    parent = parent_of(call)
    data = call.data()
    old = call.store.get(res, _member_id(call), parent)
    if old is None:
        raise not_found(res, _member_id(call))
    changes = check_body(res, data, old)
    record = records.update(call.store, res, old, changes, data, parent=parent,
                            user_id=call.user_id, now=now_iso())
    return single(res.type, record)


def destroy_record(call: Call) -> Response:
    res = _res(call)
    query.check_known(call.args, [])
    parent = parent_of(call)
    if not records.destroy(call.store, res, _member_id(call), parent):
        raise not_found(res, _member_id(call))
    return empty_reply(204)


def upsert_record(call: Call) -> Response:
    """0 matches: create; 1: partial update; more: 409 ``conflict`` (our choice: the
    reference documents no answer for it)."""
    res = _res(call)
    args = call.args
    query.check_known(args, list(res.filters), custom_fields=res.has_custom_fields)
    if not args:
        raise error(400, "invalid_param", "Upsert needs at least one filter",
                    f"Add query parameters that identify the {res.type}, e.g. "
                    f"/{res.name}/upsert?{(res.filters[1:] or res.filters or ('id',))[0]}=...")
    conditions = query.filters(res, args)
    matches = call.store.select_ids(res, conditions.where, conditions.params, 2)
    data = call.data()
    now = now_iso()
    if not matches:
        record = records.create(call.store, res, check_body(res, data), user_id=call.user_id,
                                now=now)
    elif len(matches) == 1:
        old = call.store.get(res, matches[0][1], matches[0][0])
        assert old is not None
        record = records.update(call.store, res, old, check_body(res, data, old), data,
                                user_id=call.user_id, now=now)
    else:
        raise error(409, "conflict", f"More than one {res.type} matches the upsert filters",
                    f"Upsert updates exactly one {res.type}; narrow the filters so that at most "
                    "one record matches.")
    return single(res.type, record)


def self_record(call: Call) -> Response:
    """``/users/self`` is the token's user; ``/accounts/self`` the one account."""
    res = _res(call)
    query.check_known(call.args, [])
    if res.name == "users":
        raw = call.store.get_raw(res, call.user_id)
    else:
        rows = call.store.select(res, [], [], "id ASC", 1)
        raw = rows[0] if rows else None
    if raw is None:
        raise error(404, "not_found", "Not Found", f"There is no {res.type} for this token.")
    return single(res.type, raw)


ACTION_HANDLERS: dict[str, Handler] = {
    "list": list_records, "create": create_record, "retrieve": retrieve_record,
    "update": update_record, "destroy": destroy_record, "upsert": upsert_record,
    "self": self_record,
}
