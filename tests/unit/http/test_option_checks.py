"""Options that pass a type check but would fail at the first request are refused
at construction, with a message that names the option and never the secret."""
from __future__ import annotations

import math

import pytest

from basecrm_like import Client, ConfigurationError

TOKEN = "a" * 64


@pytest.mark.parametrize(("options", "message"), [
    ({"timeout": math.inf}, "finite"),
    ({"timeout": (3, math.inf)}, "finite"),
    ({"timeout": math.nan}, "timeout"),
    ({"base_url": "http://127.0.0.1:99999"}, "invalid port"),
    ({"base_url": "http://127.0.0.1:abc"}, "invalid port"),
    ({"base_url": "http://127.0.0.1:0"}, "invalid port"),
    ({"base_url": ""}, "base_url is empty"),
    ({"base_url": "   "}, "base_url is empty"),
    ({"user_agent": "me\r\nX-Evil: 1"}, "control character"),
    ({"verbose": "false"}, "verbose must be True or False"),
    ({"verbose": 1}, "verbose must be True or False"),
    ({"backoff_factor": math.nan}, "finite"),
    ({"backoff_factor": math.inf}, "finite"),
])
def test_option_that_would_fail_later_is_refused_now(options: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Client(access_token=TOKEN, **options)


def test_empty_base_url_does_not_mean_production_even_with_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECRM_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="empty"):
        Client(access_token=TOKEN, base_url="")


def test_token_with_control_character_is_refused_without_quoting_it() -> None:
    token = "s3cret" + "\x00" * 58
    with pytest.raises(ConfigurationError) as info:
        Client(access_token=token)
    assert "s3cret" not in str(info.value)


def test_password_in_base_url_is_not_in_validation_messages() -> None:
    with pytest.raises(ConfigurationError) as info:
        Client(access_token=TOKEN, base_url="http://user:PASSWORD@127.0.0.1:99999")
    assert "PASSWORD" not in str(info.value)
    assert "<redacted>" in str(info.value)


def test_sound_options_still_pass() -> None:
    client = Client(access_token=TOKEN, base_url="http://127.0.0.1:8765", timeout=(3.05, 27),
                    verbose=False, backoff_factor=0.0, user_agent="my-app/1.0")
    assert client.config.base_url == "http://127.0.0.1:8765"
