"""The catalog of API resources: pure data that the client side and the mock both read."""
from .includes import INCLUDES, Include, include_names, includes_of
from .resources import (
    BY_TYPE,
    CATALOG,
    RESOURCES,
    UnknownResourceError,
    by_type,
    get,
    reverse_links,
)
from .schema import (
    ACTIONS,
    ADDRESS_KEYS,
    FIELD_TYPES,
    POLYMORPHIC,
    POLYMORPHIC_TYPES,
    Field,
    RequiredIf,
    Resource,
)

__all__ = [
    "ACTIONS", "ADDRESS_KEYS", "BY_TYPE", "CATALOG", "FIELD_TYPES", "INCLUDES", "POLYMORPHIC",
    "POLYMORPHIC_TYPES", "RESOURCES", "Field", "RequiredIf", "Resource", "UnknownResourceError",
    "by_type", "get", "reverse_links", "Include", "include_names", "includes_of",
]
