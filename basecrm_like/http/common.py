"""What the requests and the httpx transports share: settings, secrets, URLs, answers.

Nothing here sends a request; :class:`HttpBase` is the part of both HTTP
clients that does no I/O, so each transport holds only its sending.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import errors
from .config import Configuration
from .derived import KEEP as KEEP
from .exchange import resolve_url
from .hooks import Hooks
from .logging import enable_verbose_logging
from .outcome import AnswerView, decode_success, error_for
from .redaction import redact_secrets, url_password
from .retry import Limiter
from .tracing import Tracer, load_tracer


class HttpBase:
    """Configuration, limiter, token source, hooks and tracer of an HTTP client, and
    what follows from them without sending anything."""

    API_VERSION = "/v2"

    def __init__(self, config: Configuration, limiter: Limiter | None, token_source: Any,
                 hooks: Hooks | None, tracer: Tracer | None | Any) -> None:
        self.config = config
        self._limiter = limiter
        self._token_source = token_source
        if config.verbose:
            enable_verbose_logging()
        self.hooks = hooks if hooks is not None else Hooks(config.hooks)
        self.tracer: Tracer | None = load_tracer(config.tracing) if tracer is KEEP else tracer

    @property
    def limiter(self) -> Limiter | None:
        """The rate limiter every request of this client goes through, if any."""
        return self._limiter

    @property
    def token_source(self) -> Any:
        """Where bearer tokens come from when not ``config.access_token`` (OAuth2)."""
        return self._token_source

    #: the name the OAuth2 code and its tests know the token source by
    token_manager = token_source

    def build_url(self, url: str) -> str:
        """``/contacts`` is a v2 path; ``/v2/...`` and ``/v3/...`` are taken as given."""
        return resolve_url(self.config.base_url, url)

    def decode_success(self, resp: AnswerView, method: str, url: str, envelope: bool) -> Any:
        """The result of a 2xx answer: see :func:`.outcome.decode_success`."""
        return decode_success(resp, method, url, envelope, self.redact)

    def error_for(self, resp: AnswerView) -> errors.BaseError:
        """The typed error for an answer: see :func:`.outcome.error_for`."""
        return error_for(resp, self.redact)

    # -- secrets ------------------------------------------------------------------
    def _redactor(self, extra: tuple[str, ...]) -> Callable[[str], str]:
        return lambda text: self.redact(text, extra)

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        return redact_secrets(text, [*self.secrets(), *extra])

    def secrets(self) -> Iterable[str]:
        """Values that must never be logged; OAuth adds its tokens here."""
        values = [self.config.access_token] if self.config.access_token else []
        password = url_password(self.config.base_url)
        if password:
            values.append(password)
        if self._token_source is not None:
            values.extend(self._token_source.secrets())
        return values

