"""The client factory: configuration from `GOOGLE_ADS_*` or a google-ads.yaml, secrets out of repr, one
client per process, the pinned API version, and no network at construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import NotConnectedError
from connectors.google_ads import API_VERSION, AdsConfig, load_config, shared_client
from connectors.google_ads.config import build_client

ENV = {
    "GOOGLE_ADS_DEVELOPER_TOKEN": "dev-SECRET",
    "GOOGLE_ADS_CLIENT_ID": "client-id",
    "GOOGLE_ADS_CLIENT_SECRET": "client-SECRET",
    "GOOGLE_ADS_REFRESH_TOKEN": "refresh-SECRET",
    "GOOGLE_ADS_LOGIN_CUSTOMER_ID": "111-222-3333",
}


def test_environment_configuration() -> None:
    config = load_config(ENV)

    assert (config.developer_token, config.client_id, config.refresh_token) == ("dev-SECRET", "client-id",
                                                                                "refresh-SECRET")
    assert config.login_customer_id == "1112223333"  # dashes dropped; the library refuses them
    assert "SECRET" not in repr(config)


def test_yaml_configuration_by_path_and_by_variable(tmp_path: Path) -> None:
    path = tmp_path / "google-ads.yaml"
    path.write_text("developer_token: yaml-token\nuse_proto_plus: False\njson_key_file_path: /keys/sa.json\n"
                    "login_customer_id: 1112223333\nendpoint: localhost:1234\n")

    by_path = load_config({}, yaml_path=path)
    by_variable = load_config({"GOOGLE_ADS_CONFIGURATION_FILE_PATH": str(path), **ENV})

    assert by_path == by_variable
    assert (by_path.developer_token, by_path.json_key_file_path, by_path.login_customer_id, by_path.endpoint) == (
        "yaml-token", "/keys/sa.json", "1112223333", "localhost:1234")


def test_an_explicit_login_customer_id_wins() -> None:
    assert load_config(ENV, login_customer_id="9998887777").login_customer_id == "9998887777"


@pytest.mark.parametrize(("env", "message"), [
    ({}, "no developer token"),
    ({"GOOGLE_ADS_DEVELOPER_TOKEN": "t"}, "refresh token"),
    ({**ENV, "GOOGLE_ADS_LOGIN_CUSTOMER_ID": "12345"}, "10-digit"),
    ({"GOOGLE_ADS_CONFIGURATION_FILE_PATH": "/nonexistent/google-ads.yaml"}, "cannot read"),
])
def test_unusable_configuration_is_not_connected(env: dict[str, str], message: str) -> None:
    with pytest.raises(NotConnectedError, match=message) as raised:
        load_config(env)

    assert "SECRET" not in str(raised.value)


def test_the_client_is_pinned_built_without_network_and_shared() -> None:
    config = load_config({**ENV, "GOOGLE_ADS_ENDPOINT": "127.0.0.1:9"})

    client = build_client(config)

    assert (client.version, client.use_proto_plus, client.login_customer_id, client.endpoint) == (
        API_VERSION, True, "1112223333", "127.0.0.1:9")
    assert client.credentials.token is None  # refreshed lazily on the first RPC, not at construction
    assert client.credentials.refresh_token == "refresh-SECRET"
    assert shared_client(config) is shared_client(config)
    assert shared_client(config) is not shared_client(AdsConfig(**{**config.__dict__, "login_customer_id": None}))
