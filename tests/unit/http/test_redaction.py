from __future__ import annotations

from basecrm_like.http.redaction import redact_headers, redact_secrets


def test_secret_headers() -> None:
    out = redact_headers({"Authorization": "Bearer x", "Cookie": "c", "Accept": "json"})
    assert out == {"Authorization": "<redacted>", "Cookie": "<redacted>", "Accept": "json"}


def test_secrets_as_written_and_form_encoded() -> None:
    text = "token=a/b+c&again=a%2Fb%2Bc&plain a/b+c"
    assert redact_secrets(text, ["a/b+c", ""]) == \
        "token=<redacted>&again=<redacted>&plain <redacted>"


def test_credential_fields_are_hidden_even_when_their_values_were_never_known() -> None:

    answer = '{"access_token": "new-a", "refresh_token":"new-r","token_type":"bearer"}'
    form = "grant_type=authorization_code&code=c0de&client_secret=s3cret&client_id=app"
    assert redact_secrets(answer, []) == (
        '{"access_token": "<redacted>", "refresh_token":"<redacted>","token_type":"bearer"}')
    assert redact_secrets(form, []) == (
        "grant_type=authorization_code&code=<redacted>&client_secret=<redacted>&client_id=app")
    # an API error's "code" names the kind of error, which the reader needs
    assert redact_secrets('{"code": "invalid_param"}', []) == '{"code": "invalid_param"}'
