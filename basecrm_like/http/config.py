"""Client options, their defaults (including environment variables) and validation."""
from __future__ import annotations

import os
import platform
import re
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

import requests

from ..support.suggest import suggestion
from ..version import VERSION
from .errors import ConfigurationError
from .option_checks import (
    check_backoff,
    check_bool,
    check_explicit_base_url,
    check_finite_timeout,
    check_header_value,
    check_token_characters,
    check_url_port,
)
from .redaction import redact_url_credentials

if TYPE_CHECKING:
    from typing_extensions import Unpack

PRODUCTION_URL = "https://api.getbase.com"
TOKEN_ENV = "BASECRM_ACCESS_TOKEN"
BASE_URL_ENV = "BASECRM_BASE_URL"
PERSONAL_TOKEN_LENGTH = 64

Timeout = float | tuple[float, float]

#: seconds a reference record stays fresh in the client's cache
DEFAULT_CACHE_TTL = 300.0


class ClientOptions(TypedDict, total=False):
    """The keyword options of :class:`Configuration` and :class:`~basecrm_like.Client`,
    declared once so that a type checker flags a misspelt one."""

    access_token: str | None
    base_url: str | None
    user_agent: str | None
    timeout: Timeout
    verbose: bool
    verify_ssl: bool | str
    max_retries: int
    backoff_factor: float
    session: requests.Session | None
    strict: bool
    pool_size: int
    oauth: Any
    token_store: Any
    user: str | None
    cache_ttl: float
    rate_limit: float | None
    parse_dates: bool
    rate_limit_store: str | None
    retry_statuses: Any
    hooks: Any
    headers: Any
    tracing: bool | None


#: ``BASECRM_LOG=debug`` (or ``info``) turns on the request log of programs you cannot change
LOG_ENV = "BASECRM_LOG"
LOG_LEVELS = ("debug", "info")
_KNOWN_OPTIONS = frozenset(ClientOptions.__annotations__)


def default_user_agent() -> str:
    py = platform.python_version_tuple()
    return f"basecrm_like/{VERSION} Python/{py[0]}.{py[1]}"


class Configuration:
    """Holds and validates the options of a :class:`~basecrm_like.Client`.

    Options (all keyword-only):

    - ``access_token``: personal access token (64 characters); defaults to
      ``$BASECRM_ACCESS_TOKEN``.
    - ``base_url``: defaults to ``$BASECRM_BASE_URL``, then ``https://api.getbase.com``.
    - ``user_agent``: defaults to ``basecrm_like/<version> Python/<x.y>``.
    - ``timeout``: seconds, one number or a ``(connect, read)`` pair; default 30.
    - ``verbose``: log every request and response on the ``basecrm_like`` logger.
    - ``verify_ssl``: verify TLS certificates (default True). ``False`` holds even
      when ``REQUESTS_CA_BUNDLE`` is set.
    - ``max_retries``: retries of failed requests (default 3; 0 turns retries off).
    - ``backoff_factor``: base of the exponential backoff in seconds (default 0.5).
    - ``session``: a ``requests.Session`` of your own (proxies, adapters, auth).
    - ``strict``: reject attributes the catalog does not know (default True).
    - ``pool_size``: connections kept per host (default 10).
    - ``oauth``: a :class:`basecrm_like.oauth.OAuth2` to use OAuth2 tokens instead of
      a personal access token; needs ``token_store`` and, optionally, ``user``.
    - ``token_store``: where the OAuth2 token is loaded from and refreshed tokens are
      saved (a :class:`basecrm_like.oauth.TokenStore`).
    - ``user``: whose token to use in the store (default ``"default"``).
    - ``cache_ttl``: seconds reference data read by models stays cached (default 300;
      0 turns the cache off).
    - ``rate_limit``: requests per second for every call of the client (default None:
      no limit on our side; the server still answers 429 beyond its own).
    - ``parse_dates``: return the catalog's date and datetime attributes as
      ``datetime.date`` and timezone-aware ``datetime.datetime`` (default False:
      strings, as the API sends them and the official client returns them).
    - ``rate_limit_store``: where that budget is kept: ``"memory"`` (default, this
      process), ``"sqlite:///path"`` (shared by the processes of one host) or
      ``"redis://host:port/db"`` (shared between hosts).
    - ``retry_statuses``: the answers retried for GET, PUT and DELETE (default 500,
      502, 503, 504); 429 is retried for every method whatever this says.
    - ``hooks``: ``{"request": [...], "response": [...], "retry": [...]}``, callables
      given a :class:`~basecrm_like.http.exchange.RequestEvent` (never the token).
    - ``headers``: extra headers sent with every request.
    - ``tracing``: OpenTelemetry spans (default: on when ``opentelemetry-api`` is
      installed; False turns them off).

    ``verbose`` defaults to on when ``$BASECRM_LOG`` is ``debug`` or ``info``.
    """

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        unknown = set(options) - _KNOWN_OPTIONS
        if unknown:
            name = sorted(unknown)[0]
            raise ConfigurationError(
                f"unknown option {name!r}{suggestion(name, _KNOWN_OPTIONS)}; the options are: "
                f"{', '.join(sorted(_KNOWN_OPTIONS))}"
            )
        check_explicit_base_url(dict(options))
        if options.get("verbose") is not None:
            check_bool("verbose", options.get("verbose"))
        token = options.get("access_token")
        self.access_token: str | None = token if token is not None else os.environ.get(TOKEN_ENV)
        base_url = options.get("base_url") or os.environ.get(BASE_URL_ENV) or PRODUCTION_URL
        self.base_url: str = base_url.rstrip("/") if isinstance(base_url, str) else base_url
        self.user_agent: str = options.get("user_agent") or default_user_agent()
        self.timeout: Timeout = options.get("timeout", 30)
        self.verbose: bool = bool(options.get(
            "verbose", os.environ.get(LOG_ENV, "").strip().lower() in LOG_LEVELS))
        self.verify_ssl: bool | str = options.get("verify_ssl", True)
        self.max_retries: int = options.get("max_retries", 3)
        self.backoff_factor: float = options.get("backoff_factor", 0.5)
        self.session: requests.Session | None = options.get("session")
        self.strict: bool = bool(options.get("strict", True))
        self.pool_size: int = options.get("pool_size", 10)
        self.oauth: Any = options.get("oauth")
        self.token_store: Any = options.get("token_store")
        self.user: str | None = options.get("user")
        self.cache_ttl: float = options.get("cache_ttl", DEFAULT_CACHE_TTL)
        self.rate_limit: float | None = options.get("rate_limit")
        self.parse_dates: bool = bool(options.get("parse_dates", False))
        self.rate_limit_store: str | None = options.get("rate_limit_store")
        self.retry_statuses: Any = options.get("retry_statuses")
        self.hooks: Any = options.get("hooks")
        self.headers: Any = options.get("headers")
        self.tracing: bool | None = options.get("tracing")

    def __repr__(self) -> str:
        token = "set" if self.access_token else "missing"
        return (
            f"<Configuration base_url={redact_url_credentials(str(self.base_url))!r} "
            f"access_token=<{token}> "
            f"timeout={self.timeout!r} max_retries={self.max_retries!r} verbose={self.verbose!r}>"
        )

    def validate(self) -> bool:
        """Check every option, raising :class:`ConfigurationError` naming the bad one."""
        if self.oauth is None:
            self._validate_token()
        else:
            self._validate_oauth()
        self._validate_base_url()
        self._validate_timeout()
        self._validate_max_retries()
        if not isinstance(self.backoff_factor, (int, float)) or self.backoff_factor < 0:
            raise ConfigurationError(
                f"backoff_factor must be a number of seconds >= 0, got {self.backoff_factor!r}"
            )
        if not isinstance(self.pool_size, int) or self.pool_size < 1:
            raise ConfigurationError(f"pool_size must be a whole number >= 1, got {self.pool_size!r}")
        if self.session is not None and not isinstance(self.session, requests.Session):
            raise ConfigurationError("session must be a requests.Session instance")
        if self.rate_limit is not None and (
                isinstance(self.rate_limit, bool) or not isinstance(self.rate_limit, (int, float))
                or self.rate_limit < 0):
            raise ConfigurationError(
                f"rate_limit must be a number of requests per second >= 0 (None or 0: no limit), "
                f"got {self.rate_limit!r}")
        self._validate_request_options()
        if not isinstance(self.user_agent, str) or not self.user_agent.strip():
            raise ConfigurationError("user_agent must be a non-empty string; the API rejects "
                                     "requests without a User-Agent")
        check_header_value("user_agent", self.user_agent)
        check_backoff(self.backoff_factor)
        return True

    def _validate_max_retries(self) -> None:
        if not isinstance(self.max_retries, int) or isinstance(self.max_retries, bool) \
                or self.max_retries < 0:
            raise ConfigurationError(
                f"max_retries must be a whole number >= 0 (0 turns retries off), got {self.max_retries!r}"
            )

    def _validate_request_options(self) -> None:
        statuses = self.retry_statuses
        if statuses is not None and (isinstance(statuses, (str, bytes)) or not all(
                isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599
                for s in statuses)):
            raise ConfigurationError(
                f"retry_statuses must be HTTP error statuses (400-599), e.g. [500, 502, 503, "
                f"504], got {statuses!r}")
        if self.headers is not None and not (
                hasattr(self.headers, "items")
                and all(isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items())):
            raise ConfigurationError(f"headers must map header names to strings, got {self.headers!r}")
        if self.rate_limit_store is not None:
            if not isinstance(self.rate_limit_store, str):
                raise ConfigurationError("rate_limit_store must be a URL string such as "
                                         "'sqlite:///path' or 'redis://host:port/0'")
            if not self.rate_limit:
                raise ConfigurationError("rate_limit_store needs rate_limit=<requests per "
                                         "second>, the budget the store shares")
        if self.tracing is not None and not isinstance(self.tracing, bool):
            raise ConfigurationError(f"tracing must be True, False or None, got {self.tracing!r}")

    def _validate_token(self) -> None:
        token = self.access_token
        if not token:
            raise ConfigurationError(
                "no access token: pass access_token='<your personal access token>' to the Client "
                f"or set the {TOKEN_ENV} environment variable (Settings > Integrations > "
                "OAuth > Access Tokens in Sell)"
            )
        if not isinstance(token, str):
            raise ConfigurationError("access_token must be a string")
        if re.search(r"\s", token):
            raise ConfigurationError(
                "access_token contains whitespace; copy the token again without spaces or "
                "line breaks (a trailing newline from a file is the usual cause)"
            )
        check_token_characters("access_token", token)
        if len(token) != PERSONAL_TOKEN_LENGTH:
            raise ConfigurationError(
                f"access_token has {len(token)} characters; personal access tokens have "
                f"{PERSONAL_TOKEN_LENGTH}. Copy the whole token, or use oauth=... for OAuth2 tokens"
            )

    def _validate_oauth(self) -> None:
        if not callable(getattr(self.oauth, "refresh", None)):
            raise ConfigurationError("oauth must be a basecrm_like.oauth.OAuth2 instance, got "
                                     f"{type(self.oauth).__name__}")
        if self.token_store is None:
            raise ConfigurationError(
                "oauth=... needs token_store=..., the store holding the user's token, e.g. "
                "basecrm_like.oauth.FileTokenStore('tokens.json'); run the authorization flow "
                "first to put a token in it")
        missing = [m for m in ("load", "save", "delete") if not callable(getattr(self.token_store, m, None))]
        if missing:
            raise ConfigurationError(
                f"token_store lacks {', '.join(m + '()' for m in missing)}; a token store needs "
                "load(user), save(user, token) and delete(user)")
        if self.user is not None and (not isinstance(self.user, str) or not self.user):
            raise ConfigurationError(f"user must be a non-empty string naming whose token to use, "
                                     f"got {self.user!r}")

    def _validate_base_url(self) -> None:
        url = self.base_url
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"base_url must be an http(s) URL such as {PRODUCTION_URL!r}, got "
                f"{redact_url_credentials(url) if isinstance(url, str) else url!r}; "
                f"check the base_url option or {BASE_URL_ENV}"
            )
        check_url_port(url)

    def _validate_timeout(self) -> None:
        values = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,)
        if len(values) not in (1, 2) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values
        ):
            raise ConfigurationError(
                f"timeout must be a positive number of seconds or a (connect, read) pair of them, "
                f"got {self.timeout!r}"
            )
        check_finite_timeout(self.timeout)
