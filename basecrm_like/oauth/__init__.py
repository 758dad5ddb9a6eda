"""OAuth 2: the authorization flow, tokens, their refresh, and where they are kept.

Three pieces, usable on their own:

- :class:`OAuth2` (:mod:`.flow`) talks to the authorization server: it builds
  the URL a user is sent to, and trades a code, a refresh token or a username
  and password for a :class:`Token` (:mod:`.token`) at ``{base_url}/oauth2/token``.
- Token stores (:mod:`.stores`) keep one token per user between runs:
  :class:`FileTokenStore` (a JSON file, written atomically, mode 0600),
  :class:`SqliteTokenStore` and :class:`MemoryTokenStore`. Any object with
  ``load``, ``save`` and ``delete`` (the :class:`TokenStore` protocol) works as well.
- :class:`TokenManager` (:mod:`.manager`) is what a :class:`~basecrm_like.Client`
  built with ``oauth=...`` uses: it loads the token from the store, refreshes it
  shortly before it expires or once when a request is answered 401, saves the
  new token before using it, and makes many threads sharing a client cause one
  refresh rather than one each.

No token value ever reaches a log line, a repr or an error message.
"""
from .errors import OAuthError, TokenStoreError
from .flow import OAuth2
from .manager import DEFAULT_USER, TokenManager
from .stores import FileTokenStore, MemoryTokenStore, SqliteTokenStore, TokenStore
from .token import DEFAULT_LEEWAY, Token

__all__ = [
    "DEFAULT_LEEWAY",
    "DEFAULT_USER",
    "FileTokenStore",
    "MemoryTokenStore",
    "OAuth2",
    "OAuthError",
    "SqliteTokenStore",
    "Token",
    "TokenManager",
    "TokenStore",
    "TokenStoreError",
]
