"""Services built from the catalog: one generic implementation, one named class per resource.

Method names and positional arguments follow the official 1.x client
(``list(**params)``, ``create(*args, **kwargs)``, ``retrieve(id)``,
``update(id, *args, **kwargs)``, ``destroy(id)``; nested resources take the
parent id first, e.g. ``line_items.retrieve(order_id, id)``). A class only has
the methods of the actions its resource supports.
"""
from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from munch import Munch

from . import resources
from .coercion import Coercion
from .errors import UnknownAttributeError
from .http_client import HttpClient
from .pagination import iterate_pages, split_paging
from .resources import Field, Resource

if TYPE_CHECKING:
    from .cache import ReferenceCache
    from .models import Model

# which actions each public method belongs to
_METHOD_ACTIONS = {
    "list": "list", "iterate": "list", "list_all": "list", "create": "create",
    "retrieve": "retrieve", "update": "update", "destroy": "destroy", "upsert": "upsert",
    "self": "self", "get": "retrieve", "new": "create",
}
_P = inspect.Parameter
#: ``list`` is also a method name inside Service, so annotations use this alias
Records = list[Munch]


class _Unsupported:
    """Hides a method whose action the resource lacks (``hasattr`` is False)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        res = getattr(owner, "resource", None)
        raise AttributeError(
            f"{getattr(owner, '__name__', 'service')} has no {self.name}(): "
            f"the API offers {', '.join(sorted(res.actions)) if res else 'no actions'} for this resource"
        )


class Service:
    """A resource's actions over the shared :class:`HttpClient`.

    Normally you use the instances on :class:`~basecrm_like.Client`
    (``client.contacts``) rather than making your own.
    """

    resource: ClassVar[Resource]
    #: the client's reference-data cache: models read through it, writes here clear it
    cache: ReferenceCache | None = None

    def __init_subclass__(cls, resource: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if resource is None:
            return
        cls.resource = resources.get(resource)
        parents = cls.resource.parent_params
        for method, action in _METHOD_ACTIONS.items():
            if action not in cls.resource.actions:
                setattr(cls, method, _Unsupported(method))
            elif parents:
                setattr(cls, method, _nested(getattr(Service, method), parents,
                                             cls.resource.id_field))
        if not cls.__doc__:
            cls.__doc__ = f"Actions on {resources.get(resource).path}: " \
                          f"{', '.join(sorted(cls.resource.actions))}."

    def __init__(self, http_client: HttpClient) -> None:
        self.__http_client = http_client

    @property
    def http_client(self) -> HttpClient:
        return self.__http_client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.resource.path}>"

    # -- actions (top-level signatures; nested classes get parent ids first) ----------
    def list(self, **params: Any) -> Records:
        """One page of the collection; ``page``, ``per_page`` (max 100), ``sort_by`` and filters.

        Filters on custom fields: ``custom_fields={'industry': 'Retail'}``.
        """
        return self._list((), params)

    def iterate(self, **params: Any) -> Iterator[Munch]:
        """Every matching record, fetched lazily 100 per request."""
        return self._iterate((), params)

    def list_all(self, **params: Any) -> Records:
        """Every matching record in one list (holds them all in memory)."""
        return list(self._iterate((), params))

    def create(self, *args: Any, **kwargs: Any) -> Munch:
        """Create a record from a dict or keyword arguments."""
        return self._create((), args, kwargs)

    def retrieve(self, id: Any) -> Munch:
        """One record by id; :class:`~basecrm_like.RequestError` (404) when missing."""
        return self._retrieve((), id)

    def update(self, id: Any, *args: Any, **kwargs: Any) -> Munch:
        """Change the given attributes only (PUT is partial)."""
        return self._update((), id, args, kwargs)

    def destroy(self, id: Any) -> bool:
        """Delete a record; True when the API confirmed it (204)."""
        return self._destroy((), id)

    def upsert(self, filters: Mapping[str, Any], *args: Any, **kwargs: Any) -> Munch:
        """Update the one record matching ``filters``, or create it from the attributes.

        ``filters`` go in the query (``{'email': 'a@b.c'}`` or
        ``{'custom_fields': {'external_id': '42'}}``); at least one is required.
        """
        if not filters:
            raise ValueError("upsert needs at least one filter, e.g. {'email': 'ann@example.com'}")
        attributes = self.prepare(_merge(args, kwargs, self.resource), creating=True)
        try:
            _, _, record = self.http_client.post(f"{self._path(())}/upsert", body=attributes,
                                                 params=dict(filters))
        finally:
            self._invalidate()
        return self.coerce(record)

    def self(self) -> Munch:
        """The record of the token's owner (``/users/self``, ``/accounts/self``)."""
        _, _, record = self.http_client.get(f"{self.resource.path}/self")
        return self.coerce(record)

    def get(self, id: Any, lazy: bool = True) -> Model:
        """The record as a :mod:`model <basecrm_like.models>`; lazy: no request until a field is read.

        ``lazy=False`` loads at once (:class:`~basecrm_like.RequestError` 404 when missing).
        """
        return self._get((), id, lazy)

    def new(self, **attributes: Any) -> Model:
        """An unsaved :mod:`model <basecrm_like.models>`; ``save()`` creates it."""
        return self._new((), attributes)

    # -- generic implementations -----------------------------------------------------
    def _get(self, parents: tuple[Any, ...], id: Any, lazy: bool = True) -> Model:
        from .models import model_for

        model = model_for(self.resource.name)._lazy(self, parents, id)
        if not lazy:
            model._ensure_loaded()
        return model

    def _new(self, parents: tuple[Any, ...], attributes: Mapping[str, Any]) -> Model:
        from .models import model_for

        return model_for(self.resource.name)(self, *parents, **attributes)

    def _invalidate(self) -> None:
        if self.cache is not None:
            self.cache.invalidate(self.resource.name)

    def _path(self, parents: tuple[Any, ...], id: Any = None) -> str:
        path = self.resource.path
        for name, value in zip(self.resource.parent_params, parents, strict=False):
            path = path.replace(f"{{{name}}}", str(value))
        return path if id is None else f"{path}/{id}"

    def _list(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Records:
        _, _, records = self.http_client.get(self._path(parents), params=params or None)
        return [self.coerce(r) for r in records]

    def _iterate(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Iterator[Munch]:
        rest, page, per_page = split_paging(dict(params))
        per_page = min(per_page, self.resource.max_per_page)

        def fetch(page: int, per_page: int) -> Records:
            return self._list(parents, {**rest, "page": page, "per_page": per_page})

        return iterate_pages(fetch, per_page, page)

    def _create(self, parents: tuple[Any, ...], args: tuple[Any, ...],
                kwargs: Mapping[str, Any]) -> Munch:
        attributes = self.prepare(_merge(args, kwargs, self.resource), creating=True)
        try:
            _, _, record = self.http_client.post(self._path(parents), body=attributes)
        finally:
            self._invalidate()
        return self.coerce(record)

    def _retrieve(self, parents: tuple[Any, ...], id: Any) -> Munch:
        _, _, record = self.http_client.get(self._path(parents, id))
        return self.coerce(record)

    def _update(self, parents: tuple[Any, ...], id: Any, args: tuple[Any, ...],
                kwargs: Mapping[str, Any]) -> Munch:
        attributes = self.prepare(_merge(args, kwargs, self.resource), creating=False)
        try:
            _, _, record = self.http_client.put(self._path(parents, id), body=attributes)
        finally:
            self._invalidate()
        return self.coerce(record)

    def _destroy(self, parents: tuple[Any, ...], id: Any) -> bool:
        try:
            status, _, _ = self.http_client.delete(self._path(parents, id))
        finally:
            self._invalidate()
        return status == 204

    # -- attributes ------------------------------------------------------------------
    def prepare(self, attributes: Mapping[str, Any], creating: bool) -> dict[str, Any]:
        """The body to send: read-only attributes dropped, unknown ones refused, decimals exact.

        Read-only attributes are dropped silently so a fetched record can be sent
        back; an unknown attribute raises :class:`UnknownAttributeError` (unless
        the client has ``strict=False``) because dropping it would lose data.
        """
        res = self.resource
        strict = getattr(self.http_client.config, "strict", True)
        body: dict[str, Any] = {}
        for key, value in attributes.items():
            spec = res.field(key)
            if spec is None:
                if strict and key != "id":
                    raise UnknownAttributeError(key, res.model_name, suggest(key, res.field_names))
                if key != "id":
                    body[key] = value
                continue
            if spec.access == "r":
                continue
            body[key] = encode_value(spec, value)
        return body

    def coerce(self, record: Any) -> Any:
        """Decimal fields of an answer become ``Decimal``."""
        if isinstance(record, dict):
            for spec in self.resource.decimal_fields:
                if record.get(spec.name) is not None:
                    record[spec.name] = decode_value(spec, record[spec.name])
        return record


def encode_value(spec: Field, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "decimal":
        return Coercion.to_string(Coercion.to_decimal(value))
    if spec.decimal_keys and isinstance(value, list):
        return [
            {k: (Coercion.to_string(Coercion.to_decimal(v)) if k in spec.decimal_keys and v is not None
                 else v) for k, v in item.items()} if isinstance(item, Mapping) else item
            for item in value
        ]
    return value


def decode_value(spec: Field, value: Any) -> Any:
    if spec.type == "decimal":
        return Coercion.to_decimal(value)
    if spec.decimal_keys and isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                for k in spec.decimal_keys:
                    if item.get(k) is not None:
                        item[k] = Coercion.to_decimal(item[k])
    return value


def suggest(name: str, known: tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _merge(args: tuple[Any, ...], kwargs: Mapping[str, Any], res: Resource) -> dict[str, Any]:
    if len(args) > 1:
        raise TypeError(f"pass the {res.model_name} attributes as one dict or as keyword arguments")
    if args and not isinstance(args[0], Mapping):
        raise TypeError(f"{res.model_name} attributes must be a dict, got {type(args[0]).__name__}")
    attributes = {**(args[0] if args else {}), **kwargs}
    if not attributes:
        raise ValueError(f"attributes for {res.model_name} are missing")
    return attributes


def _nested(generic: Any, parents: tuple[str, ...], id_field: str) -> Any:
    """Wrap a top-level method so it takes the parent ids first (by position or name)."""
    impl = {
        "list": lambda self, p, a, kw: self._list(p, kw),
        "iterate": lambda self, p, a, kw: self._iterate(p, kw),
        "list_all": lambda self, p, a, kw: list(self._iterate(p, kw)),
        "create": lambda self, p, a, kw: self._create(p, a, kw),
        "retrieve": lambda self, p, a, kw: self._retrieve(p, *a, **kw),
        "update": lambda self, p, a, kw: self._update(p, a[0], a[1:], kw),
        "destroy": lambda self, p, a, kw: self._destroy(p, *a, **kw),
        "get": lambda self, p, a, kw: self._get(p, *a, **kw),
        "new": lambda self, p, a, kw: self._new(p, kw),
    }[generic.__name__]

    def method(self: Service, *args: Any, **kwargs: Any) -> Any:
        values = list(args[: len(parents)])
        for name in parents[len(values):]:
            if name not in kwargs:
                raise TypeError(f"{generic.__name__}() missing required argument {name!r}")
            values.append(kwargs.pop(name))
        rest = args[len(parents):]
        if generic.__name__ in ("retrieve", "destroy", "update", "get") and not rest and id_field in kwargs:
            rest = (kwargs.pop(id_field),)
        return impl(self, tuple(values), rest, kwargs)

    sig = inspect.signature(generic)
    params = list(sig.parameters.values())
    head = [_P(name, _P.POSITIONAL_OR_KEYWORD) for name in parents]
    tail = [p.replace(name=id_field) if p.name == "id" else p for p in params[1:]]
    method.__signature__ = sig.replace(parameters=[params[0], *head, *tail])  # type: ignore[attr-defined]
    method.__name__ = generic.__name__
    method.__qualname__ = generic.__qualname__
    method.__doc__ = generic.__doc__
    return method


# -- one named class per resource: the official names, importable and discoverable ----
class AccountsService(Service, resource="accounts"):
    """The account of the token's owner: ``self()``."""


class AssociatedContactsService(Service, resource="associated_contacts"):
    """Contacts attached to a deal: ``list(deal_id)``, ``create(deal_id, ...)``, ``destroy(deal_id, contact_id)``."""


class CallsService(Service, resource="calls"): ...
class CallOutcomesService(Service, resource="call_outcomes"): ...
class ContactsService(Service, resource="contacts"): ...
class CustomFieldsService(Service, resource="custom_fields"):
    """Custom field definitions: ``list('contact')``, ``list('lead')``, ``list('deal')``."""


class DealsService(Service, resource="deals"): ...
class DealSourcesService(Service, resource="deal_sources"): ...
class DealUnqualifiedReasonsService(Service, resource="deal_unqualified_reasons"): ...
class DocumentsService(Service, resource="documents"): ...
class LeadsService(Service, resource="leads"): ...
class LeadConversionsService(Service, resource="lead_conversions"): ...
class LeadSourcesService(Service, resource="lead_sources"): ...
class LeadUnqualifiedReasonsService(Service, resource="lead_unqualified_reasons"): ...
class LineItemsService(Service, resource="line_items"): ...
class LossReasonsService(Service, resource="loss_reasons"): ...
class NotesService(Service, resource="notes"): ...
class OrdersService(Service, resource="orders"): ...
class PipelinesService(Service, resource="pipelines"): ...
class ProductsService(Service, resource="products"): ...
class SequencesService(Service, resource="sequences"): ...
class SequenceEnrollmentsService(Service, resource="sequence_enrollments"): ...
class SourcesService(Service, resource="sources"): ...
class StagesService(Service, resource="stages"): ...
class TagsService(Service, resource="tags"): ...
class TasksService(Service, resource="tasks"): ...
class TextMessagesService(Service, resource="text_messages"): ...
class UsersService(Service, resource="users"): ...
class VisitsService(Service, resource="visits"): ...
class VisitOutcomesService(Service, resource="visit_outcomes"): ...


#: catalog name -> service class
SERVICE_CLASSES: dict[str, type[Service]] = {
    cls.resource.name: cls for cls in Service.__subclasses__() if hasattr(cls, "resource")
}
