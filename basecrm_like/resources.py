"""Compatibility path of the catalog, which lives in :mod:`basecrm_like.catalog`."""
from .catalog import *  # noqa: F403
from .catalog import __all__ as __all__
