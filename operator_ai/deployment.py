"""Where the data lives and whether the deployment is configured: loud errors instead of quiet surprises.

A missing setting must stop the command that needs it with a message naming the setting, not look like a
normal run (every action BLOCKED for a reason cut off in `explain`) or silently create a fresh, empty
database in whatever directory the command happened to be run from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from operator_ai.settings import Settings
from schemas.policy import OrgPolicy

SecretResolver = Callable[[str], str]


class ConfigError(Exception):
    """A deployment setting is missing or wrong; the message names the setting and what to do."""


def location_chosen(settings: Settings) -> bool:
    """True when the database location was set explicitly (OPERATOR_HOME or OPERATOR_DB_PATH)."""
    return bool({"home", "db_path"} & settings.model_fields_set)


def store_location(settings: Settings) -> dict[str, str]:
    """Where this configuration reads and writes (shown by `status` and `doctor`)."""
    if settings.backend == "gcp":
        project = settings.gcp_project or "(OPERATOR_GCP_PROJECT not set)"
        where = {"backend": "gcp",
                 "bigquery": f"{project}.{settings.bq_dataset} ({settings.bq_location})"
                             + (f" at {settings.bq_endpoint}" if settings.bq_endpoint else ""),
                 "firestore": project + (f" at {os.environ['FIRESTORE_EMULATOR_HOST']}"
                                         if os.environ.get("FIRESTORE_EMULATOR_HOST") else "")}
        if settings.platforms == "sandbox":
            where["sandbox"] = str((settings.home / "sandbox.sqlite").resolve())
        return where
    return {"backend": "local", "database": str(settings.database_path.resolve())}


def require_database(settings: Settings, *, create: bool) -> None:
    """Refuse to invent a database: it is created by `operator init`, or on first use only where the user
    chose the location (OPERATOR_HOME / OPERATOR_DB_PATH). A command run from another directory with the
    implicit `./.operator` would otherwise start over with an empty store and no history."""
    path = settings.database_path
    if create or path.exists() or location_chosen(settings):
        return
    raise ConfigError(f"no database at {path.resolve()}; run `operator init` to create one there, "
                      "or set OPERATOR_HOME (or OPERATOR_DB_PATH) to where yours is")


def live_problems(policy: OrgPolicy, resolve_secret: SecretResolver,
                  env: Mapping[str, str] | None = None) -> list[str]:
    """What is missing for this organization's live platform connections, one line per setting (no
    network: credentials are resolved, never used). Messages name references, never secret values."""
    problems: list[str] = []
    connected = policy.connected
    if connected.google_ads_customer_ids:
        if policy.google_ads_credentials_ref:
            problems += _unresolvable("Google Ads credentials", policy.google_ads_credentials_ref, resolve_secret)
        else:
            problems += _google_ads_env_problems(env)
    for account in connected.activecampaign:
        label = f"ActiveCampaign account {account.account_id}"
        if account.token_ref is None:
            problems.append(f"{label}: no token_ref in the organization's configuration")
        else:
            problems += _unresolvable(label, account.token_ref, resolve_secret)
    return problems


def _unresolvable(label: str, ref: str, resolve_secret: SecretResolver) -> list[str]:
    try:
        value = resolve_secret(ref)
    except LookupError as error:
        return [f"{label}: {ref} cannot be resolved ({error})"]
    except Exception as error:  # a secret store failure: name its kind only, its text may quote secrets
        return [f"{label}: {ref} cannot be resolved ({type(error).__name__})"]
    return [] if value else [f"{label}: {ref} is empty"]


def _google_ads_env_problems(env: Mapping[str, str] | None) -> list[str]:
    from connectors.base import NotConnectedError
    from connectors.google_ads.config import load_config

    try:
        load_config(env)
    except NotConnectedError as error:
        return [str(error)]
    return []


def check_live(policy: OrgPolicy, services: Any) -> None:
    """Raise ConfigError naming every missing setting of this org's live connections (live mode only)."""
    if services.settings.platforms != "live":
        return
    resolver = services.extras.get("secrets")
    if resolver is None:
        from connectors.activecampaign.credentials import env_secret_resolver

        resolver = env_secret_resolver
    problems = live_problems(policy, resolver)
    if problems:
        raise ConfigError("live mode is not configured: " + "; ".join(problems))
