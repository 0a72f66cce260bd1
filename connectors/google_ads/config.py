"""Google Ads credentials and the one `GoogleAdsClient` per process.

Configuration comes from `GOOGLE_ADS_*` environment variables or a google-ads.yaml file (the library's own
key names). We build the OAuth credentials ourselves instead of using the library's `load_from_*`
loaders because those refresh the token over the network at construction; ours refresh lazily on the
first RPC, so a cold start (and a test) does no network I/O until a call is made.

`google.ads` is imported only inside `build_client`: importing this module stays cheap.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from connectors.base import NotConnectedError

API_VERSION = "v26"  # pinned: only this version's ~1,500 modules are ever imported
ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a public endpoint, not a secret

_ENV_PREFIX = "GOOGLE_ADS_"
_KEYS = (
    "developer_token",
    "client_id",
    "client_secret",
    "refresh_token",
    "json_key_file_path",
    "impersonated_email",
    "use_application_default_credentials",
    "login_customer_id",
    "endpoint",
)


@dataclass(frozen=True)
class AdsConfig:
    """Everything needed to build a client. Secrets are kept out of `repr` so they never reach logs."""

    developer_token: str = field(repr=False)
    login_customer_id: str | None = None
    endpoint: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    json_key_file_path: str | None = None
    impersonated_email: str | None = None
    use_application_default_credentials: bool = False


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _customer_id(value: Any, name: str) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    digits = str(value).strip().replace("-", "")
    if len(digits) != 10 or not digits.isdigit():
        raise NotConnectedError(f"{name} must be a 10-digit Google Ads customer id")
    return digits


def load_config(env: Mapping[str, str] | None = None, yaml_path: str | Path | None = None,
                login_customer_id: str | None = None, overrides: Mapping[str, Any] | None = None) -> AdsConfig:
    """Read the configuration: an explicit YAML path, else `GOOGLE_ADS_CONFIGURATION_FILE_PATH`, else the
    `GOOGLE_ADS_*` variables; keys given in `overrides` (an org's own credentials) win. A missing or unusable
    configuration is `NotConnectedError` (nothing sent)."""
    env = os.environ if env is None else env
    path = yaml_path or env.get(f"{_ENV_PREFIX}CONFIGURATION_FILE_PATH")
    if path:
        try:
            raw = yaml.safe_load(Path(path).expanduser().read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise NotConnectedError(f"cannot read the Google Ads configuration file {path}: "
                                    f"{type(error).__name__}") from None
        if not isinstance(raw, dict):
            raise NotConnectedError(f"the Google Ads configuration file {path} is not a mapping")
        data = {key: raw.get(key) for key in _KEYS}
    else:
        data = {key: env.get(_ENV_PREFIX + key.upper()) for key in _KEYS}
    data.update({key: value for key, value in (overrides or {}).items() if key in _KEYS and value not in (None, "")})
    token = str(data["developer_token"] or "").strip()
    if not token:
        raise NotConnectedError("Google Ads is not configured: no developer token "
                                "(GOOGLE_ADS_DEVELOPER_TOKEN or a google-ads.yaml)")
    config = AdsConfig(
        developer_token=token,
        login_customer_id=_customer_id(login_customer_id or data["login_customer_id"], "login_customer_id"),
        endpoint=str(data["endpoint"]) if data["endpoint"] else None,
        client_id=str(data["client_id"]) if data["client_id"] else None,
        client_secret=str(data["client_secret"]) if data["client_secret"] else None,
        refresh_token=str(data["refresh_token"]) if data["refresh_token"] else None,
        json_key_file_path=str(data["json_key_file_path"]) if data["json_key_file_path"] else None,
        impersonated_email=str(data["impersonated_email"]) if data["impersonated_email"] else None,
        use_application_default_credentials=_truthy(data["use_application_default_credentials"]),
    )
    if not (config.use_application_default_credentials or config.json_key_file_path
            or (config.client_id and config.client_secret and config.refresh_token)):
        raise NotConnectedError("Google Ads is not configured: give a refresh token with client id and secret, "
                                "a service-account key file, or use_application_default_credentials")
    return config


def _credentials(config: AdsConfig) -> Any:
    """OAuth credentials without a network round trip (the first RPC refreshes them)."""
    if config.use_application_default_credentials:
        import google.auth

        credentials, _ = google.auth.default(scopes=[ADWORDS_SCOPE])
        return credentials
    if config.client_id and config.client_secret and config.refresh_token:
        from google.oauth2.credentials import Credentials

        return Credentials(None, refresh_token=config.refresh_token, client_id=config.client_id,  # type: ignore[no-untyped-call]
                           client_secret=config.client_secret, token_uri=TOKEN_URI)
    from google.oauth2 import service_account

    assert config.json_key_file_path is not None  # load_config guarantees one credential flow
    return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        config.json_key_file_path, scopes=[ADWORDS_SCOPE], subject=config.impersonated_email)


def build_client(config: AdsConfig) -> Any:
    """A `GoogleAdsClient` on the pinned API version, with proto-plus messages (the connector's code reads
    proto-plus fields; the runtime cost is irrelevant at a few hundred operations per run)."""
    from google.ads.googleads.client import GoogleAdsClient

    return GoogleAdsClient(credentials=_credentials(config), developer_token=config.developer_token,
                           endpoint=config.endpoint, login_customer_id=config.login_customer_id,
                           version=API_VERSION, use_proto_plus=True)


_CLIENTS: dict[AdsConfig, Any] = {}
_CLIENTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class AdsIdentity:
    """Whom the Operator acts as for one organization: the manager account whose hierarchy reaches the
    org's customers (sent as `login-customer-id`) and a reference to the org's own credentials (None: the
    environment's). Equal identities share one client."""

    login_customer_id: str | None = None
    credentials_ref: str | None = None


SecretResolver = Callable[[str], str]


def _org_overrides(ref: str, resolve: SecretResolver) -> dict[str, Any]:
    """The org's credentials: the referenced secret holds a google-ads.yaml document (library key names)."""
    try:
        raw = yaml.safe_load(resolve(ref))
    except LookupError as error:
        raise NotConnectedError(f"the Google Ads credentials {ref} cannot be read: {error}") from None
    except yaml.YAMLError:
        raise NotConnectedError(f"the Google Ads credentials {ref} are not a google-ads.yaml document") from None
    if not isinstance(raw, dict):
        raise NotConnectedError(f"the Google Ads credentials {ref} are not a google-ads.yaml mapping")
    unknown = sorted(set(map(str, raw)) - set(_KEYS) - {"use_proto_plus"})
    if unknown:
        raise NotConnectedError(f"the Google Ads credentials {ref} have unknown keys: {', '.join(unknown)}")
    return raw


def config_for(identity: AdsIdentity, resolve: SecretResolver, env: Mapping[str, str] | None = None) -> AdsConfig:
    """The configuration for one identity: the environment's, with the org's credentials and manager."""
    overrides = _org_overrides(identity.credentials_ref, resolve) if identity.credentials_ref else {}
    return load_config(env, login_customer_id=identity.login_customer_id, overrides=overrides)


def shared_client(config: AdsConfig | None = None) -> Any:
    """The process's client for this configuration, built on first use: warm invocations of a Cloud
    Function reuse its channels and token instead of paying ~1 s of imports and an OAuth refresh again."""
    config = config or load_config()
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(config)
        if client is None:
            client = _CLIENTS[config] = build_client(config)
        return client
