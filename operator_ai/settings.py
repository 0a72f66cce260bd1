"""Deployment configuration from the environment (pydantic-settings). Secrets are referenced, never logged."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SAMPLES_DIR = Path(str(files("operator_ai") / "samples"))  # package data (installed with the wheel)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPERATOR_", extra="ignore")

    backend: Literal["local", "gcp"] = "local"
    home: Path = Path(".operator")
    db_path: Path | None = None  # default: <home>/operator.sqlite
    platforms: Literal["sandbox", "live"] = "sandbox"
    # a fixed "now" for every command (ISO with a zone; sandbox only): tests and demos (operator_ai/clock.py)
    now: AwareDatetime | None = None
    seed_samples: bool = True  # embedded default: load the bundled orgs, opportunities and sandbox fixture
    samples_dir: Path = SAMPLES_DIR
    orgs_file: Path | None = None  # YAML/JSON org configs to load (embedded default)
    opportunities_file: Path | None = None  # JSON/JSONL opportunities to load (embedded default)

    org_concurrency: int = Field(default=8, ge=1, le=64)
    processes: int = Field(default=1, ge=1, le=32)  # `operator run`: orgs dealt out to this many processes
    claim_lease_s: float = Field(default=900, gt=0)
    campaign_cap_ceiling: Decimal | None = None  # deployment may raise the per-campaign cap (hard ceiling)

    # production stores
    gcp_project: str | None = None
    bq_dataset: str = "marketing_ai"
    bq_endpoint: str | None = None  # emulator URL in tests
    bq_location: str = "EU"  # the dataset's location (`operator init`): keep it with the functions' region
    outbox_dir: Path | None = None  # default: <home>/outbox
    pubsub_topic: str = "operator-org-runs"
    fan_out: bool = False

    # HTTP surface
    shared_secret: SecretStr | None = None  # embedded default/tests; deployed uses OIDC
    approval_signing_key: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8080"
    notify_webhook_url: SecretStr | None = None
    secret_manager_endpoint: str | None = None  # a local Secret Manager fake (tests); unset: Google's, with ADC

    # language model (see connectors/llm.py for ANTHROPIC_* variables)
    llm_model: str | None = None  # None: the client's default model (connectors/llm)

    @model_validator(mode="after")
    def _no_fake_clock_live(self) -> Settings:
        if self.now is not None and self.platforms == "live":
            raise ValueError("OPERATOR_NOW is for the sandbox: a fixed clock against live platforms would misjudge "
                             "every time window (unset it or use OPERATOR_PLATFORMS=sandbox)")
        return self

    @property
    def database_path(self) -> Path:
        return self.db_path or self.home / "operator.sqlite"

    @property
    def outbox_path(self) -> Path:
        return self.outbox_dir or self.home / "outbox"

    @property
    def mode_label(self) -> str:
        return "SANDBOX" if self.platforms == "sandbox" else "LIVE"
