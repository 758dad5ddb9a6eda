"""Compatibility path of ``Coercion``, which lives in :mod:`basecrm_like.http.encoding`."""
from .http.encoding import Coercion

__all__ = ["Coercion"]
