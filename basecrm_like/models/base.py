"""Objects for API records: lazy loading, dirty tracking, links between resources.

One class per catalog resource is generated from the catalog (``Deal``,
``Contact``, ``Stage`` ...); nothing here is written per resource. Models never
talk HTTP themselves: every read and write goes through the resource's
:class:`~basecrm_like.services.Service`, so retries, errors, coercion and
attribute checks are the services' own.

- ``client.deals.get(42)`` is lazy: no request until a field other than ``id``
  is read. ``client.deals.get(42, lazy=False)`` loads at once.
- ``client.deals.new(name=..., contact_id=...)`` is unsaved until ``save()``.
- ``save()`` sends only the fields changed since the record was loaded, so two
  programs editing different fields of one record do not undo each other.
- Foreign keys become links (``deal.stage``, ``deal.owner``, ``note.resource``)
  and the catalog's reverse links become lazy, auto-paginated collections
  (``contact.deals``, ``contact.notes``, ``deal.associated_contacts``).
- Reference data (``Resource.reference_data``: stages, pipelines, users, ...)
  is read through the client's :class:`~basecrm_like.cache.ReferenceCache`.

Naming of links (fixed by these rules so a catalog change cannot surprise you):

- forward: the foreign key without ``_id`` (``stage_id`` -> ``stage``,
  ``owner_id`` -> ``owner``); the polymorphic ``resource_id`` -> ``resource``;
  a key not ending in ``_id`` gets the target type appended
  (``reports_to`` -> ``reports_to_user``).
- reverse: the listed resource's name (``contact.deals``). When a resource has
  several foreign keys to the same target, the key named ``<target type>_id``
  (or else the polymorphic ``resource_id``) gets the plain name and each other
  key gets ``<key without _id>_<resource>``: ``contact.deals`` lists deals by
  ``contact_id`` and ``contact.organization_deals`` by ``organization_id``;
  ``user.owner_deals`` and ``user.creator_deals``.
- nested paths: ``/deals/{deal_id}/associated_contacts`` -> ``deal.associated_contacts``.

Model objects are cheap and not thread-safe; share the client, not the models.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from munch import Munch, unmunchify

from .. import catalog
from ..catalog import POLYMORPHIC_TYPES, Resource
from ..http.errors import (
    BadValueError,
    Error,
    InvalidArgumentError,
    RequestError,
    UnknownAttributeError,
)
from ..services import SERVICE_CLASSES, ReferenceCache, Service
from ..support.decimals import parse_decimal
from ..support.suggest import did_you_mean, suggestion
from .links import Link, ReverseLink, forward_links, reverse_links

#: a service, or what holds one per resource (a :class:`~basecrm_like.Client`)
ServiceSource = Service | object

M = TypeVar("M", bound="Model")


class ReadOnlyAttributeError(Error, AttributeError):
    """Raised when assigning an attribute the API will not accept from you."""


# -- helpers shared by models and collections -------------------------------------------
def _sibling(service: Service, name: str) -> Service:
    """The service for another resource over the same HTTP layer, cache and records."""
    if service.resource.name == name:
        return service
    if service.siblings is not None:
        return service.siblings[name]
    # a service built on its own: a sibling of the same making serves as well
    return SERVICE_CLASSES[name](service.http_client, cache=service.cache,
                                 records=service.records)


def _service_of(res: Resource, source: ServiceSource) -> Service:
    if isinstance(source, Service):
        if source.resource.name != res.name:
            raise InvalidArgumentError(f"a {res.model_name} needs the {res.name} service, "
                                       f"got {type(source).__name__}")
        return source
    service = getattr(source, res.name, None)
    if not isinstance(service, Service):
        raise InvalidArgumentError(f"pass a basecrm_like.Client (or client.{res.name}), "
                                   f"got {type(source).__name__}")
    return service


def _cache_for(service: Service) -> ReferenceCache | None:
    cache = service.cache
    if cache is None or not service.resource.reference_data or not cache.active:
        return None
    return cache


def _cache_key(parents: tuple[Any, ...], key: Any) -> tuple[Any, ...]:
    if isinstance(key, str) and key.isdigit():
        key = int(key)
    return (*parents, key)


def _fetch_record(service: Service, parents: tuple[Any, ...], key: Any) -> Munch:
    """One record by id through the service: retrieve, else the ``ids`` filter, else a scan."""
    res = service.resource
    api: Any = service  # nested services take the parent ids first
    if "retrieve" in res.actions:
        return api.retrieve(*parents, key)
    if "list" not in res.actions:
        raise InvalidArgumentError(f"a {res.type} cannot be loaded by id: the API offers only "
                                   f"{', '.join(sorted(res.actions))} for {res.name}")
    rows: Iterable[Munch] = (api.list(*parents, ids=key) if "ids" in res.filters
                             else api.iterate(*parents))
    for row in rows:
        if str(row.get(res.id_field)) == str(key):
            return row
    raise RequestError(404, None, [{
        "code": "not_found", "message": "Not Found",
        "details": f"no {res.type} with {res.id_field} {key!r} in {service._path(parents)}",
    }])


# -- the base class -------------------------------------------------------------------
class Model:
    """An API record as an object. Subclasses are generated from the catalog.

    ``Deal(client, name="Chemex", contact_id=1)`` is the same as
    ``client.deals.new(...)``; nested resources take the parent ids first
    (``LineItem(client, order_id, product_id=...)``).
    """

    _resource: ClassVar[Resource]
    _links: ClassVar[dict[str, Link]] = {}
    _reverse: ClassVar[dict[str, ReverseLink]] = {}
    #: the record's key; ``contact_id`` for an associated contact
    id: Any

    def __init_subclass__(cls, resource: Resource | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if resource is None:
            return
        reserved = frozenset(dir(Model))
        cls._resource = resource
        cls._links = forward_links(resource, reserved)
        cls._reverse = reverse_links(resource, reserved)

    _service: Service
    _parents: tuple[Any, ...]
    _data: dict[str, Any]
    _original: dict[str, Any]
    _loaded: bool
    _new: bool
    _link_cache: dict[str, tuple[Any, Model]]

    def __init__(self, source: ServiceSource, *parents: Any, **attributes: Any) -> None:
        service = _service_of(self._resource, source)
        self._setup(service, _parents_of(self._resource, parents), {}, loaded=True, new=True)
        for name, value in attributes.items():
            self._assign(name, value)

    # -- construction (internal) ----------------------------------------------------
    def _setup(self, service: Service, parents: tuple[Any, ...], data: Mapping[str, Any],
               loaded: bool, new: bool) -> None:
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_parents", parents)
        object.__setattr__(self, "_data", copy.deepcopy(dict(data)))
        object.__setattr__(self, "_original", copy.deepcopy(dict(data)))
        object.__setattr__(self, "_loaded", loaded)
        object.__setattr__(self, "_new", new)
        object.__setattr__(self, "_link_cache", {})

    @classmethod
    def _lazy(cls: type[M], service: Service, parents: tuple[Any, ...], key: Any) -> M:
        obj = cls.__new__(cls)
        obj._setup(service, _parents_of(cls._resource, parents), {cls._resource.id_field: key},
                   loaded=False, new=False)
        return obj

    @classmethod
    def _from_record(cls: type[M], service: Service, parents: tuple[Any, ...],
                     record: Mapping[str, Any]) -> M:
        obj = cls.__new__(cls)
        obj._setup(service, _parents_of(cls._resource, parents), record, loaded=True, new=False)
        return obj

    @classmethod
    def where(cls: type[M], source: ServiceSource, *parents: Any,
              **filters: Any) -> Collection[M]:
        """The records matching ``filters``, as models, fetched lazily page by page.

        ``Deal.where(client, stage_id=3)`` is the model form of
        ``client.deals.iterate(stage_id=3)``.
        """
        service = _service_of(cls._resource, source)
        return Collection(cls, service, _parents_of(cls._resource, parents), filters, {})

    # -- state ----------------------------------------------------------------------
    @property
    def is_new(self) -> bool:
        """True until the record exists on the server (again True after ``delete()``)."""
        return self._new

    @property
    def is_loaded(self) -> bool:
        """False for a lazy record whose fields have not been fetched yet."""
        return self._loaded

    @property
    def changed_fields(self) -> tuple[str, ...]:
        """The fields ``save()`` would send."""
        res = self._resource
        out = []
        for name, value in self._data.items():
            spec = res.field(name)
            if name == "id" or (spec is not None and spec.access == "r"):
                continue
            if name not in self._original or self._original[name] != value:
                out.append(name)
        return tuple(out)

    @property
    def is_dirty(self) -> bool:
        """True when there are changes ``save()`` would send."""
        return bool(self.changed_fields)

    # -- actions --------------------------------------------------------------------
    def save(self: M) -> M:
        """Create the record when new; otherwise send only the changed fields.

        Afterwards the object holds the server's answer and is clean. Saving a
        clean record makes no request.
        """
        changes = {name: self._data[name] for name in self.changed_fields}
        if self._new:
            record = self._service.create(*self._parents, changes)
        elif not changes:
            return self
        else:
            record = self._service.update(*self._parents, self._key(), changes)
        self._accept(record)
        return self

    def refresh(self: M) -> M:
        """Load the record again from the server, dropping unsaved changes."""
        self._accept(self._fetch(fresh=True))
        return self

    def delete(self) -> bool:
        """Delete the record on the server; afterwards ``id`` is None and ``is_new`` True."""
        api: Any = self._service
        deleted: bool = api.destroy(*self._parents, self._key())
        self._data[self._resource.id_field] = None
        object.__setattr__(self, "_original", {})
        object.__setattr__(self, "_new", True)
        object.__setattr__(self, "_loaded", True)
        return deleted

    def to_dict(self) -> dict[str, Any]:
        """The record's fields as plain dicts and lists (loads a lazy record)."""
        self._ensure_loaded()
        result: dict[str, Any] = unmunchify(self._data)
        return result

    # -- loading (internal) ---------------------------------------------------------
    def _key(self) -> Any:
        key = self._data.get(self._resource.id_field)
        if self._new or key is None:
            raise BadValueError(f"this {self._resource.type} is not saved: it has no "
                             f"{self._resource.id_field} yet; call save() first")
        return key

    def _fetch(self, fresh: bool) -> Munch:
        service, parents, key = self._service, self._parents, self._key()
        cache = _cache_for(service)
        if cache is None:
            return _fetch_record(service, parents, key)
        name = service.resource.name
        if fresh:
            record = _fetch_record(service, parents, key)
            cache.put(name, _cache_key(parents, key), record)
            return record
        return cache.get_or_load(name, _cache_key(parents, key),
                                 lambda: _fetch_record(service, parents, key))

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        pending = {name: self._data[name] for name in self.changed_fields}
        self._accept(self._fetch(fresh=False))
        self._data.update(pending)

    def _accept(self, record: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", copy.deepcopy(dict(record)))
        object.__setattr__(self, "_original", copy.deepcopy(dict(record)))
        object.__setattr__(self, "_loaded", True)
        object.__setattr__(self, "_new", False)

    # -- reading --------------------------------------------------------------------
    def _read(self, name: str) -> Any:
        if not self._loaded and name not in self._data:
            self._ensure_loaded()
        return self._data.get(name)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: fields, links and collections
        if name.startswith("_"):
            raise AttributeError(name)
        cls = type(self)
        res = cls._resource
        if name == "id":
            return self._data.get(res.id_field)
        if res.field(name) is not None:
            return self._read(name)
        if name in cls._links:
            return self._follow(cls._links[name])
        if name in cls._reverse:
            return self._collection(cls._reverse[name])
        if name in self._data or not _strict(self._service):
            return self._read(name)
        hint = suggestion(name, (*res.field_names, *cls._links, *cls._reverse))
        raise AttributeError(f"{res.model_name} has no attribute {name!r}{hint}")

    def __getitem__(self, name: str) -> Any:
        res = self._resource
        if name == "id" or res.field(name) is not None or name in self._data \
                or not _strict(self._service):
            return self.__getattr__(name)
        raise KeyError(f"{res.model_name} has no field {name!r}{suggestion(name, res.field_names)}")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._data or (
            self._resource.field(name) is not None))

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), "id", *self._resource.field_names, *self._links,
                       *self._reverse})

    # -- writing --------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        elif name in cls._links:
            self._set_link(cls._links[name], value)
        elif name in cls._reverse:
            raise AttributeError(f"{cls._resource.type}.{name} is a collection and cannot be "
                                 f"assigned; add records with {name}.new(...) or {name}.create(...)")
        elif hasattr(cls, name):
            raise AttributeError(f"{name!r} is part of the model API and cannot be assigned; "
                                 f"use item access ({cls._resource.type}[{name!r}] = ...) for a "
                                 f"field of that name")
        else:
            self._assign(name, value)

    def __setitem__(self, name: str, value: Any) -> None:
        self._assign(name, value)

    def _assign(self, name: str, value: Any) -> None:
        res = self._resource
        spec = res.field(name)
        if name == "id" or (spec is not None and spec.access == "r"):
            raise ReadOnlyAttributeError(
                f"{res.type}.{name} is read-only: the API sets it, so it cannot be assigned")
        if spec is None:
            if _strict(self._service):
                raise UnknownAttributeError(name, res.model_name,
                                            did_you_mean(name, res.field_names))
        elif not self._new:
            if "update" not in res.actions:
                raise ReadOnlyAttributeError(
                    f"a {res.type} cannot be changed once created: the API has no update for "
                    f"{res.name}; delete it and create a new one")
            if spec.access == "c" and name != res.id_field:
                raise ReadOnlyAttributeError(
                    f"{res.type}.{name} can be set only when creating a {res.type}")
            if name == res.id_field:
                raise ReadOnlyAttributeError(
                    f"{res.type}.{name} identifies the record and cannot be changed")
        if spec is not None and spec.type == "decimal" and value is not None:
            value = parse_decimal(value)
        self._data[name] = value

    # -- links ----------------------------------------------------------------------
    def _follow(self, link: Link) -> Model | None:
        key = self._read(link.field)
        target = link.target
        if target is None:
            target = POLYMORPHIC_TYPES.get(self._read("resource_type") or "")
        if key is None or target is None:
            return None
        cached = self._link_cache.get(link.name)
        if cached is not None and cached[0] == (target, key):
            return cached[1]
        service = _sibling(self._service, target)
        model = _record_class(service)._lazy(service, (), key)
        self._link_cache[link.name] = ((target, key), model)
        return model

    def _set_link(self, link: Link, value: Any) -> None:
        if value is None:
            self._assign(link.field, None)
            self._link_cache.pop(link.name, None)
            return
        if not isinstance(value, Model):
            raise InvalidArgumentError(f"{self._resource.type}.{link.name} takes a model or "
                                       f"None; to set the id, assign {link.field}")
        target = value._resource
        if link.target is None:
            kind = self._resource.field("resource_type")
            allowed = kind.enum if kind is not None and kind.enum else tuple(POLYMORPHIC_TYPES)
            if POLYMORPHIC_TYPES.get(target.type) != target.name or target.type not in allowed:
                raise InvalidArgumentError(f"{self._resource.type}.{link.name} must be one of "
                                           f"{', '.join(allowed)}, got a {target.type}")
            self._assign("resource_type", target.type)
        elif target.name != link.target:
            raise InvalidArgumentError(
                f"{self._resource.type}.{link.name} must be a "
                f"{catalog.get(link.target).model_name}, got a {target.model_name}")
        self._assign(link.field, value._key())
        self._link_cache[link.name] = ((target.name, value._key()), value)

    def _collection(self, link: ReverseLink) -> Collection[Model]:
        key = self._key()
        source = catalog.get(link.source)
        service = _sibling(self._service, link.source)
        model = _record_class(service)
        if link.nested:
            return Collection(model, service, (key,), {}, {})
        assert link.field is not None
        params: dict[str, Any] = {link.field: key}
        if link.polymorphic:
            params["resource_type"] = self._resource.type
        defaults = {k: v for k, v in params.items()
                    if (spec := source.field(k)) is not None and spec.writable_on_create}
        return Collection(model, service, (), params, defaults)

    def __repr__(self) -> str:
        res = self._resource
        key = self._data.get(res.id_field)
        ident = f"{'id' if res.id_field == 'id' else res.id_field}={key!r}"
        parts = [res.model_name]
        if self._new:
            parts.append("new" if key is None else f"new {ident}")
        else:
            parts.append(ident)
            parts.append("loaded" if self._loaded else "lazy")
        changed = self.changed_fields
        if changed:
            parts.append(f"dirty={','.join(changed)}")
        return f"<{' '.join(parts)}>"


def _strict(service: Service) -> bool:
    return bool(getattr(service.http_client.config, "strict", True))


def _parents_of(res: Resource, parents: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(parents) != len(res.parent_params):
        need = ", ".join(res.parent_params) or "no parent ids"
        raise InvalidArgumentError(f"a {res.type} lives under {res.path}: pass {need} "
                                   f"(got {len(parents)} parent ids)")
    return tuple(parents)


class Collection(Generic[M]):
    """Records as models, fetched lazily through ``Service.iterate`` (auto-paginated).

    Nothing is requested until you iterate. ``new()`` and ``create()`` fill in
    the link that produced the collection (``contact.deals.new(name=...)`` sets
    ``contact_id``).
    """

    def __init__(self, model: type[M], service: Service, parents: tuple[Any, ...],
                 params: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
        self._model = model
        self._service = service
        self._parents = parents
        self._params = dict(params)
        self._defaults = dict(defaults)

    def __repr__(self) -> str:
        query = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"<Collection of {self._model.__name__} {self._service._path(self._parents)}" \
               f"{' ' + query if query else ''}>"

    def __iter__(self) -> Iterator[M]:
        cache = _cache_for(self._service)
        name, id_field = self._service.resource.name, self._service.resource.id_field
        for record in self._service.iterate(*self._parents, **self._params):
            if cache is not None and record.get(id_field) is not None:
                cache.put(name, _cache_key(self._parents, record[id_field]), record)
            yield self._model._from_record(self._service, self._parents, record)

    def filter(self, **params: Any) -> Collection[M]:
        """The same collection with more (or replaced) list parameters."""
        return Collection(self._model, self._service, self._parents,
                          {**self._params, **params}, self._defaults)

    def first(self) -> M | None:
        """The first record, in one request of one record; None when empty."""
        for model in self.filter(per_page=1):
            return model
        return None

    def all(self) -> list[M]:
        """Every record in one list (holds them all in memory)."""
        return list(self)

    def new(self, **attributes: Any) -> M:
        """An unsaved record linked like the collection's records."""
        return self._model(self._service, *self._parents, **{**self._defaults, **attributes})

    def create(self, **attributes: Any) -> M:
        """``new(...)`` then ``save()``."""
        return self.new(**attributes).save()


def record_classes() -> dict[str, type[Model]]:
    """Catalog name -> record class: the classes declared with ``resource=``."""
    return {cls._resource.name: cls for cls in Model.__subclasses__() if "_resource" in vars(cls)}


def _record_class(service: Service) -> type[Model]:
    return record_classes()[service.resource.name]
