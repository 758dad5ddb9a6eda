"""Compatibility path of the error hierarchy, which lives in :mod:`basecrm_like.http.errors`."""
from .http.errors import *  # noqa: F403
from .http.errors import __all__ as __all__
