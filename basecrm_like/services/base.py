"""The generic service: a catalog resource's actions over the shared HttpClient.

Method names and positional arguments follow the official 1.x client
(``list(**params)``, ``create(*args, **kwargs)``, ``retrieve(id)``,
``update(id, *args, **kwargs)``, ``destroy(id)``; nested resources take the
parent id first, e.g. ``line_items.retrieve(order_id, id)``). A class only has
the methods of the actions its resource supports.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from munch import Munch

from .. import catalog
from ..catalog import Field, Resource
from ..http.errors import (
    BadValueError,
    ConfigurationError,
    InvalidArgumentError,
    UnknownAttributeError,
)
from ..http.plans import Call, Plan, run_plan
from ..http.tracing import Tracer
from ..http.transport import HttpClient
from ..support.decimals import parse_decimal
from ..support.suggest import did_you_mean
from .cache import ReferenceCache
from .checks import check_list_params, encode_checked, parse_date_fields
from .pagination import iterate_pages, split_paging
from .raw import EAGER_ACTIONS, RawResponses

# which actions each public method belongs to
_METHOD_ACTIONS = {
    "list": "list", "iterate": "list", "list_all": "list", "create": "create",
    "retrieve": "retrieve", "update": "update", "destroy": "destroy", "upsert": "upsert",
    "self": "self", "get": "retrieve", "new": "create",
}
_P = inspect.Parameter
#: ``list`` is also a method name inside Service, so annotations use this alias
Records = list[Munch]
T = TypeVar("T")


class RecordFactory(Protocol):
    """Makes record objects for a service; the models package provides one.

    Services hand records out through it so that they need not know the
    record classes, which are built on top of services.
    """

    def lazy(self, service: Service, parents: tuple[Any, ...], key: Any, load: bool) -> Any:
        """The record ``key``; fetched now when ``load``, else on first read."""
        ...

    def new(self, service: Service, parents: tuple[Any, ...],
            attributes: Mapping[str, Any]) -> Any:
        """An unsaved record."""
        ...


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


class ServiceCore:
    """What a resource's service is, whichever client it belongs to: its catalog entry,
    its collaborators, the attribute rules, and each action as a plan
    (:mod:`basecrm_like.http.plans`) that :class:`Service` runs over the blocking
    client and :class:`~basecrm_like.services.async_base.AsyncService` awaits."""

    resource: ClassVar[Resource]
    #: True when the actions are coroutines (AsyncService)
    awaits: ClassVar[bool] = False

    def __init_subclass__(cls, resource: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if resource is None:
            return
        cls.resource = catalog.get(resource)
        parents = cls.resource.parent_params
        # the class whose methods this resource's class adapts: Service or AsyncService
        generic = next(c for c in cls.__mro__[1:] if "resource" not in vars(c))
        for method, action in _METHOD_ACTIONS.items():
            if not hasattr(generic, method):
                continue
            if action not in cls.resource.actions:
                setattr(cls, method, _Unsupported(method))
            else:
                if parents:
                    setattr(cls, method, _nested(getattr(generic, method), parents,
                                                 cls.resource.id_field))
                if method in EAGER_ACTIONS:
                    setattr(cls, method, _traced(getattr(cls, method),
                                                 f"{cls.resource.name}.{method}"))
        if not cls.__doc__:
            cls.__doc__ = f"Actions on {cls.resource.path}: " \
                          f"{', '.join(sorted(cls.resource.actions))}."

    def __init__(self, http_client: Any, *, cache: ReferenceCache | None = None,
                 records: RecordFactory | None = None,
                 siblings: Mapping[str, Any] | None = None) -> None:
        """``cache`` holds reference data for records and is cleared by writes here;
        ``records`` makes record objects for :meth:`get` and :meth:`new`;
        ``siblings`` are the other resources' services sharing all of these."""
        self.__http_client = http_client
        self.__cache = cache
        self.__records = records
        self.__siblings = siblings

    @property
    def http_client(self) -> Any:
        return self.__http_client

    @property
    def cache(self) -> ReferenceCache | None:
        """The client's reference-data cache: records read through it, writes here clear it."""
        return self.__cache

    @property
    def records(self) -> RecordFactory | None:
        return self.__records

    @property
    def siblings(self) -> Mapping[str, Any] | None:
        """The other resources' services built together with this one, if any."""
        return self.__siblings

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.resource.path}>"

    @functools.cached_property
    def with_raw_response(self) -> RawResponses:
        """These actions answering with an :class:`~basecrm_like.http.exchange.ApiResponse`:
        ``client.contacts.with_raw_response.retrieve(1).request_id``."""
        return RawResponses(self)

    # -- generic implementations -----------------------------------------------------
    def _record_factory(self) -> RecordFactory:
        if self.__records is None:
            raise ConfigurationError(
                f"{type(self).__name__} was built without record objects; use the service of a "
                f"basecrm_like.Client (client.{self.resource.name}) for get() and new()")
        return self.__records

    def _invalidate(self) -> None:
        if self.cache is not None:
            self.cache.invalidate(self.resource.name)

    def _path(self, parents: tuple[Any, ...], id: Any = None) -> str:
        path = self.resource.path
        for name, value in zip(self.resource.parent_params, parents, strict=False):
            path = path.replace(f"{{{name}}}", str(value))
        return path if id is None else f"{path}/{id}"

    # -- the actions as plans: written once, run by Service and awaited by AsyncService --
    def _list_plan(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Plan[Records]:
        if params and getattr(self.http_client.config, "strict", True):
            check_list_params(self.resource, params)
        _, _, records = yield Call("get", self._path(parents), {"params": params or None})
        return [self.coerce(r) for r in records]

    def _pages(self, parents: tuple[Any, ...], params: Mapping[str, Any]
               ) -> tuple[Callable[[int, int], Plan[Records]], int, int]:
        """The plan of one page, the page size and the first page, for iterating."""
        rest, page, per_page = split_paging(dict(params))
        per_page = min(per_page, self.resource.max_per_page)

        def fetch(page: int, per_page: int) -> Plan[Records]:
            return self._list_plan(parents, {**rest, "page": page, "per_page": per_page})

        return fetch, per_page, page

    def _create_plan(self, parents: tuple[Any, ...], args: tuple[Any, ...],
                     kwargs: Mapping[str, Any]) -> Plan[Munch]:
        attributes = self.prepare(_merge(args, kwargs, self.resource), creating=True)
        try:
            _, _, record = yield Call("post", self._path(parents), {"body": attributes})
        finally:
            self._invalidate()
        return self.coerce(record)

    def _retrieve_plan(self, parents: tuple[Any, ...], id: Any,
                       includes: Any = None) -> Plan[Munch]:
        # without includes the call is the official client's get(path), which users' mocks expect
        _, _, record = yield (Call("get", self._path(parents, id)) if includes is None else
                              Call("get", self._path(parents, id),
                                   {"params": {"includes": includes}}))
        return self.coerce(record)

    def _update_plan(self, parents: tuple[Any, ...], id: Any, args: tuple[Any, ...],
                     kwargs: Mapping[str, Any]) -> Plan[Munch]:
        attributes = self.prepare(_merge(args, kwargs, self.resource), creating=False)
        try:
            _, _, record = yield Call("put", self._path(parents, id), {"body": attributes})
        finally:
            self._invalidate()
        return self.coerce(record)

    def _destroy_plan(self, parents: tuple[Any, ...], id: Any) -> Plan[bool]:
        try:
            status, _, _ = yield Call("delete", self._path(parents, id))
        finally:
            self._invalidate()
        return status == 204

    def _upsert_plan(self, filters: Mapping[str, Any], args: tuple[Any, ...],
                     kwargs: Mapping[str, Any]) -> Plan[Munch]:
        if not filters:
            raise BadValueError("upsert needs at least one filter, e.g. {'email': 'ann@example.com'}")
        attributes = self.prepare(_merge(args, kwargs, self.resource), creating=True)
        try:
            _, _, record = yield Call("post", f"{self._path(())}/upsert",
                                      {"body": attributes, "params": dict(filters)})
        finally:
            self._invalidate()
        return self.coerce(record)

    def _self_plan(self) -> Plan[Munch]:
        _, _, record = yield Call("get", f"{self.resource.path}/self")
        return self.coerce(record)

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
                    raise UnknownAttributeError(key, res.model_name,
                                                did_you_mean(key, res.field_names))
                if key != "id":
                    body[key] = value
                continue
            if spec.access == "r":
                continue
            body[key] = encode_checked(res, spec, value, encode_value)
        return body

    def coerce(self, record: Any) -> Any:
        """Decimal fields of an answer become ``Decimal``."""
        if isinstance(record, dict):
            for spec in self.resource.decimal_fields:
                if record.get(spec.name) is not None:
                    record[spec.name] = decode_value(spec, record[spec.name])
            if getattr(self.http_client.config, "parse_dates", False):
                parse_date_fields(self.resource, record)
        return record


class Service(ServiceCore):
    """A resource's actions over the shared :class:`HttpClient`.

    Normally you use the instances on :class:`~basecrm_like.Client`
    (``client.contacts``) rather than making your own.
    """

    if TYPE_CHECKING:
        @property
        def http_client(self) -> HttpClient: ...

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
        return self._list_all((), params)

    def create(self, *args: Any, **kwargs: Any) -> Munch:
        """Create a record from a dict or keyword arguments."""
        return self._create((), args, kwargs)

    def retrieve(self, id: Any, includes: Any = None) -> Munch:
        """One record by id; :class:`~basecrm_like.RequestError` (404) when missing.

        ``includes`` (a name or a list of names, e.g. ``"organization"`` on contacts)
        asks the API to embed related records; each becomes one more attribute.
        """
        return self._retrieve((), id, includes)

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
        return self._run(self._upsert_plan(filters, args, kwargs))

    def self(self) -> Munch:
        """The record of the token's owner (``/users/self``, ``/accounts/self``)."""
        return self._run(self._self_plan())

    def get(self, id: Any, lazy: bool = True) -> Any:
        """The record as a :mod:`model <basecrm_like.models>`; lazy: no request until a field is read.

        ``lazy=False`` loads at once (:class:`~basecrm_like.RequestError` 404 when missing).
        """
        return self._get((), id, lazy)

    def new(self, **attributes: Any) -> Any:
        """An unsaved :mod:`model <basecrm_like.models>`; ``save()`` creates it."""
        return self._new((), attributes)

    # -- the plans, run over the blocking client -------------------------------------
    def _run(self, plan: Plan[T]) -> T:
        return run_plan(plan, self.http_client)

    def _list(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Records:
        return self._run(self._list_plan(parents, params))

    def _iterate(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Iterator[Munch]:
        fetch, per_page, page = self._pages(parents, params)
        return iterate_pages(lambda page, size: self._run(fetch(page, size)), per_page, page)

    def _list_all(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Records:
        return list(self._iterate(parents, params))

    def _create(self, parents: tuple[Any, ...], args: tuple[Any, ...],
                kwargs: Mapping[str, Any]) -> Munch:
        return self._run(self._create_plan(parents, args, kwargs))

    def _retrieve(self, parents: tuple[Any, ...], id: Any, includes: Any = None) -> Munch:
        return self._run(self._retrieve_plan(parents, id, includes))

    def _update(self, parents: tuple[Any, ...], id: Any, args: tuple[Any, ...],
                kwargs: Mapping[str, Any]) -> Munch:
        return self._run(self._update_plan(parents, id, args, kwargs))

    def _destroy(self, parents: tuple[Any, ...], id: Any) -> bool:
        return self._run(self._destroy_plan(parents, id))

    def _get(self, parents: tuple[Any, ...], id: Any, lazy: bool = True) -> Any:
        return self._record_factory().lazy(self, parents, id, load=not lazy)

    def _new(self, parents: tuple[Any, ...], attributes: Mapping[str, Any]) -> Any:
        return self._record_factory().new(self, parents, attributes)


def encode_value(spec: Field, value: Any) -> Any:
    """A field's value as the API wants it: decimals as exact strings."""
    if value is None:
        return None
    if spec.type == "decimal":
        return str(parse_decimal(value))
    if spec.decimal_keys and isinstance(value, list):
        return [
            {k: (str(parse_decimal(v)) if k in spec.decimal_keys and v is not None
                 else v) for k, v in item.items()} if isinstance(item, Mapping) else item
            for item in value
        ]
    return value


def decode_value(spec: Field, value: Any) -> Any:
    """A field's value from an answer: decimal strings become ``Decimal``."""
    if spec.type == "decimal":
        return parse_decimal(value)
    if spec.decimal_keys and isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                for k in spec.decimal_keys:
                    if item.get(k) is not None:
                        item[k] = parse_decimal(item[k])
    return value


def _merge(args: tuple[Any, ...], kwargs: Mapping[str, Any], res: Resource) -> dict[str, Any]:
    if len(args) > 1:
        raise InvalidArgumentError(
            f"pass the {res.model_name} attributes as one dict or as keyword arguments")
    if args and not isinstance(args[0], Mapping):
        raise InvalidArgumentError(
            f"{res.model_name} attributes must be a dict, got {type(args[0]).__name__}")
    attributes = {**(args[0] if args else {}), **kwargs}
    if not attributes:
        raise BadValueError(f"attributes for {res.model_name} are missing")
    return attributes


def _traced(action: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``action`` inside a ``basecrm <name>`` span when the client traces, as it is otherwise."""
    @functools.wraps(action)
    def run(self: ServiceCore, *args: Any, **kwargs: Any) -> Any:
        # an HttpClient replaced by a test double has no tracer
        tracer = getattr(self.http_client, "tracer", None)
        if not isinstance(tracer, Tracer) or not tracer.active:
            return action(self, *args, **kwargs)
        if self.awaits:  # the span covers the awaiting, not making the coroutine
            return _traced_coroutine(tracer, name, action(self, *args, **kwargs))
        with tracer.action(name):
            return action(self, *args, **kwargs)

    return run


async def _traced_coroutine(tracer: Tracer, name: str, action: Awaitable[Any]) -> Any:
    with tracer.action(name):
        return await action


def _nested(generic: Any, parents: tuple[str, ...], id_field: str) -> Any:
    """Wrap a top-level method so it takes the parent ids first (by position or name)."""
    impl = {
        "list": lambda self, p, a, kw: self._list(p, kw),
        "iterate": lambda self, p, a, kw: self._iterate(p, kw),
        "list_all": lambda self, p, a, kw: self._list_all(p, kw),
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
                raise InvalidArgumentError(
                    f"{generic.__name__}() missing required argument {name!r}")
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
