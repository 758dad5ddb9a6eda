"""What goes wrong with OAuth2: the server refusing a grant, a token store that is unusable."""
from __future__ import annotations

from collections.abc import Mapping

from ..http import errors

__all__ = ["OAuthError", "TokenStoreError"]

_OAUTH_HINTS = {
    "invalid_grant": "the authorization code or refresh token is invalid, expired, already "
    "used or revoked; send the user through the authorization flow again "
    "(OAuth2.authorization_url, then exchange_code) and save the new token",
    "invalid_client": "the authorization server does not know this client_id and "
    "client_secret pair; check both against the OAuth app registered in Sell",
    "invalid_request": "the token request was missing a parameter or malformed; check "
    "redirect_uri (it must match the one registered for the app) and the code",
    "unauthorized_client": "this client may not use this grant type; enable it for the "
    "OAuth app or use the authorization code flow",
    "unsupported_grant_type": "the authorization server does not accept this grant type; "
    "use authorization_code or refresh_token",
    "invalid_scope": "ask only for the scopes read, write, profile and sync",
    "access_denied": "the user declined the authorization; ask again or stop",
    "state_mismatch": "the state in the callback is not the one this flow sent; start "
    "the authorization flow again (a stale or forged callback)",
    "invalid_response": "the token endpoint did not answer with a token; check base_url "
    "points at the API host (https://api.getbase.com)",
}


class OAuthError(errors.RequestError):
    """The authorization server refused a request (RFC 6749 section 5.2).

    ``error`` is the server's code (``invalid_grant``, ``invalid_client``,
    ``invalid_request``, ``unsupported_grant_type``, ...), ``description`` its
    text. Also a :class:`~basecrm_like.RequestError`, so ``code`` works too.
    """

    def __init__(self, error: str, description: str | None = None, http_status: int = 400,
                 headers: Mapping[str, str] | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(http_status, None, [{"code": error, "message": description}], headers)

    def _message(self) -> str:
        text = f"OAuth2 error {self.error} (HTTP {self.http_status})"
        if self.description:
            text += f": {self.description.rstrip('.')}"
        hint = _OAUTH_HINTS.get(self.error, "see the error above and the OAuth app's settings")
        return f"{text}. What to do: {hint}."


class TokenStoreError(errors.ConfigurationError):
    """A token store could not be read or written (corrupt file, permissions).

    Raised rather than treating the user as logged out, so a damaged store is
    noticed and repaired instead of silently sending people to log in again.
    """
