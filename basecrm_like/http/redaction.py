"""Keeping secrets out of logs, messages and reprs: tokens, cookies, credentials."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

REDACTED = "<redacted>"
_SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")
#: fields whose values are credentials wherever they appear, known in advance or not:
#: a token endpoint's answer carries tokens nobody could have listed beforehand.
#: ``code`` only in forms (the authorization code); in JSON it names API error kinds.
_SECRET_FIELDS = r"access_token|refresh_token|id_token|password|client_secret"
_SECRET_JSON = re.compile(rf'("(?:{_SECRET_FIELDS})"\s*:\s*)"[^"]*"')
_SECRET_FORM = re.compile(rf"(?<![\w-])((?:{_SECRET_FIELDS}|code)=)[^&\s]*")


#: ``scheme://user:password@`` in a URL; the user part is kept, it helps to tell URLs apart
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s:]*):([^/@\s]*)@")


def redact_url_credentials(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` replaced."""
    return _URL_CREDENTIALS.sub(rf"\1\2:{REDACTED}@", text)


def url_password(url: str) -> str | None:
    """The password in a URL's user info, to be redacted wherever it shows up."""
    match = _URL_CREDENTIALS.search(url)
    return match.group(3) if match and match.group(3) else None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret, as written or form-encoded, replaced by ``<redacted>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED).replace(quote_plus(secret), REDACTED)
    return redact_secret_fields(text)


def redact_secret_fields(text: str) -> str:
    """``text`` with the values of credential fields (JSON or form) replaced by ``<redacted>``."""
    text = redact_url_credentials(text)
    text = _SECRET_JSON.sub(rf'\1"{REDACTED}"', text)
    return _SECRET_FORM.sub(rf"\1{REDACTED}", text)
