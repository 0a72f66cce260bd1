"""Settings only the HTTP surface needs: who may call it and how their identity tokens are checked.

Kept apart from `operator_ai.settings` because nothing else reads them. Same `OPERATOR_` prefix, so a
deployment configures everything through one set of environment variables.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

GOOGLE_OIDC_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_OIDC_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
IAP_CERTS_URL = "https://www.gstatic.com/iap/verify/public_key"
IAP_ISSUER = "https://cloud.google.com/iap"


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPERATOR_", extra="ignore")

    # run_operator: Cloud Scheduler's OIDC token (audience = the function URL) from these service accounts
    oidc_audience: str | None = None
    oidc_invokers: str = ""  # comma-separated service-account emails allowed to start runs
    oidc_certs_url: str = GOOGLE_OIDC_CERTS_URL  # tests point this at a local key server

    # approvals: the human identity asserted by Identity-Aware Proxy in front of the function
    iap_audience: str | None = None  # /projects/NUMBER/locations/REGION/services/SERVICE
    iap_certs_url: str = IAP_CERTS_URL

    session_ttl_hours: float = 12.0  # a signed-in page (login link → cookie) and its CSRF tokens

    # the web console: people (emails or *@domain, comma-separated) who administer every organization,
    # and alone may pull the global emergency stop
    console_admins: str = ""

    @property
    def global_admins(self) -> tuple[str, ...]:
        return tuple(e.strip().casefold() for e in self.console_admins.split(",") if e.strip())

    @property
    def invokers(self) -> frozenset[str]:
        return frozenset(e.strip().casefold() for e in self.oidc_invokers.split(",") if e.strip())
