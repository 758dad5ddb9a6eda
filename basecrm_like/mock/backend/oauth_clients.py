"""The OAuth apps the mock's authorization server knows, and how one is written
on the command line (``--oauth-client ID:SECRET[:REDIRECT_URI]``)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["DEV_OAUTH_CLIENT", "OAuthClient", "OAuthClientSpec", "parse_oauth_client",
           "valid_redirect"]


@dataclass(frozen=True)
class OAuthClient:
    """A registered OAuth app. No ``redirect_uris`` means any http(s) URI is allowed."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[str]:
        # unpacks as an (id, secret) pair: ``client_id, client_secret = DEV_OAUTH_CLIENT``
        return iter((self.client_id, self.client_secret))


#: accepted when the server is started without ``--oauth-client`` (documented, not a secret)
DEV_OAUTH_CLIENT = OAuthClient("basecrm-like-dev-client", "basecrm-like-dev-client-secret")

OAuthClientSpec = str | tuple[str, ...] | OAuthClient


def valid_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


def parse_oauth_client(spec: OAuthClientSpec) -> OAuthClient:
    """``ID:SECRET`` or ``ID:SECRET:REDIRECT_URI`` (or an (id, secret[, uri]) tuple).

    The secret may contain colons; a third part starts with ``http://`` or ``https://``.
    """
    if isinstance(spec, OAuthClient):
        return spec
    if isinstance(spec, str):
        client_id, _, rest = spec.partition(":")
        cut = min((i for i in (rest.find(":http://"), rest.find(":https://")) if i >= 0),
                  default=-1)
        parts = [client_id, rest] if cut < 0 else [client_id, rest[:cut], rest[cut + 1:]]
    else:
        parts = [str(p) for p in spec]
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise ValueError(f"an OAuth client is ID:SECRET or ID:SECRET:REDIRECT_URI, got {spec!r}")
    uris: tuple[str, ...] = ()
    if len(parts) == 3:
        if not valid_redirect(parts[2]):
            raise ValueError(f"the redirect URI of OAuth client {parts[0]!r} must be an "
                             f"absolute http(s) URL without a fragment, got {parts[2]!r}")
        uris = (parts[2],)
    return OAuthClient(parts[0], parts[1], uris)
