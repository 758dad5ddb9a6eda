"""Objects for API records: lazy loading, dirty tracking, links between resources.

The record classes (``Deal``, ``Contact``, ``Stage`` ...) are generated from the
catalog into :mod:`basecrm_like.models.generated`; the behaviour lives in
:mod:`basecrm_like.models.base` and the naming of links in
:mod:`basecrm_like.models.links`.
"""
from ..support.suggest import suggestion
from .base import Collection, Model, ReadOnlyAttributeError
from .factory import MODELS, ModelFactory, model_for
from .generated import *  # noqa: F403
from .generated import __all__ as _RECORD_CLASSES
from .links import Link, ReverseLink, forward_links, reverse_links

__all__ = [
    "Collection", "Link", "MODELS", "Model", "ModelFactory", "ReadOnlyAttributeError",
    "ReverseLink", "forward_links", "model_for", "reverse_links", *_RECORD_CLASSES,
]


def __getattr__(name: str) -> object:
    # the record classes are module globals; this only explains a miss
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}"
                         f"{suggestion(name, _RECORD_CLASSES)}")
