"""Compatibility path of the client options, which live in :mod:`basecrm_like.http.config`."""
from .http.config import (
    BASE_URL_ENV,
    DEFAULT_CACHE_TTL,
    PERSONAL_TOKEN_LENGTH,
    PRODUCTION_URL,
    TOKEN_ENV,
    ClientOptions,
    Configuration,
    Timeout,
    default_user_agent,
)

__all__ = [
    "BASE_URL_ENV", "DEFAULT_CACHE_TTL", "PERSONAL_TOKEN_LENGTH", "PRODUCTION_URL", "TOKEN_ENV",
    "ClientOptions", "Configuration", "Timeout", "default_user_agent",
]
