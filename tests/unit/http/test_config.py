"""Options, environment defaults and validation messages."""
from __future__ import annotations

import platform

import pytest

import basecrm_like
from basecrm_like import Client, Configuration, ConfigurationError

TOKEN = "a" * 64



def test_defaults() -> None:
    config = Configuration(access_token=TOKEN)
    py = ".".join(platform.python_version_tuple()[:2])
    assert config.base_url == "https://api.getbase.com"
    assert config.user_agent == f"basecrm_like/{basecrm_like.VERSION} Python/{py}"
    assert config.timeout == 30
    assert config.verify_ssl is True
    assert config.verbose is False
    assert config.max_retries == 3
    assert config.validate() is True


def test_environment_supplies_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECRM_ACCESS_TOKEN", "e" * 64)
    monkeypatch.setenv("BASECRM_BASE_URL", "http://127.0.0.1:9/")
    client = Client()
    assert client.config.access_token == "e" * 64
    assert client.config.base_url == "http://127.0.0.1:9"


def test_explicit_options_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECRM_ACCESS_TOKEN", "e" * 64)
    monkeypatch.setenv("BASECRM_BASE_URL", "http://127.0.0.1:9")
    client = Client(access_token=TOKEN, base_url="https://other.example")
    assert client.config.access_token == TOKEN
    assert client.config.base_url == "https://other.example"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({}, "BASECRM_ACCESS_TOKEN"),
        ({"access_token": ""}, "no access token"),
        ({"access_token": "a" * 63 + " "}, "whitespace"),
        ({"access_token": "a" * 63 + "\n"}, "whitespace"),
        ({"access_token": "a" * 10}, "has 10 characters"),
        ({"access_token": TOKEN, "base_url": "ftp://x.example"}, "base_url must be an http(s) URL"),
        ({"access_token": TOKEN, "base_url": "api.getbase.com"}, "base_url"),
        ({"access_token": TOKEN, "timeout": 0}, "timeout must be a positive"),
        ({"access_token": TOKEN, "timeout": -1.5}, "timeout"),
        ({"access_token": TOKEN, "timeout": (5, 0)}, "timeout"),
        ({"access_token": TOKEN, "timeout": "30"}, "timeout"),
        ({"access_token": TOKEN, "max_retries": -1}, "max_retries"),
        ({"access_token": TOKEN, "session": object()}, "requests.Session"),
        ({"access_token": TOKEN, "acces_token": TOKEN}, "unknown option 'acces_token'"),
    ],
)
def test_validation_names_the_option(options: dict, needle: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Client(**options)
    assert needle in str(info.value)


def test_timeout_pair_is_accepted() -> None:
    assert Client(access_token=TOKEN, timeout=(3.05, 27)).config.timeout == (3.05, 27)


def test_repr_and_errors_never_show_the_token() -> None:
    secret = "s3cr3t" + "x" * 58
    client = Client(access_token=secret)
    assert secret not in repr(client)
    assert secret not in repr(client.config)
    with pytest.raises(ConfigurationError) as info:
        Client(access_token=secret + " ")
    assert secret not in str(info.value)
