from __future__ import annotations

from basecrm_like.http.redaction import redact_headers, redact_secrets


def test_secret_headers() -> None:
    out = redact_headers({"Authorization": "Bearer x", "Cookie": "c", "Accept": "json"})
    assert out == {"Authorization": "<redacted>", "Cookie": "<redacted>", "Accept": "json"}


def test_secrets_as_written_and_form_encoded() -> None:
    text = "token=a/b+c&again=a%2Fb%2Bc&plain a/b+c"
    assert redact_secrets(text, ["a/b+c", ""]) == \
        "token=<redacted>&again=<redacted>&plain <redacted>"
