"""Finding record classes by name, and the record factory services hand records out with."""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..catalog import UnknownResourceError
from ..services import Service
from ..support.suggest import suggestion
from . import generated  # noqa: F401  (declares the record classes)
from .base import Model, record_classes

#: catalog name -> record class
MODELS: Mapping[str, type[Model]] = MappingProxyType(record_classes())
_BY_TYPE = {cls._resource.type: cls for cls in MODELS.values()}
_BY_MODEL_NAME = {cls.__name__: cls for cls in MODELS.values()}


def model_for(name: str) -> type[Model]:
    """The model class of a resource: ``"deals"``, ``"deal"`` or ``"Deal"``."""
    found = MODELS.get(name) or _BY_TYPE.get(name) or _BY_MODEL_NAME.get(name)
    if found is None:
        raise UnknownResourceError(
            f"no model for {name!r}{suggestion(name, (*MODELS, *_BY_TYPE, *_BY_MODEL_NAME))}")
    return found


class ModelFactory:
    """Records as model objects: what a Client gives its services for ``get()`` and ``new()``."""

    def lazy(self, service: Service, parents: tuple[Any, ...], key: Any, load: bool) -> Model:
        model = model_for(service.resource.name)._lazy(service, parents, key)
        if load:
            model._ensure_loaded()
        return model

    def new(self, service: Service, parents: tuple[Any, ...],
            attributes: Mapping[str, Any]) -> Model:
        return model_for(service.resource.name)(service, *parents, **attributes)
