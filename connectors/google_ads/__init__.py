"""Google Ads adapter on the official `google-ads` client (API version pinned in `config.API_VERSION`).

Importing this package does not import `google.ads` (about 1,500 modules and ~1 s): the library is loaded
on the first call that needs a client. See docs/google-ads.md.
"""

from connectors.google_ads.config import API_VERSION, AdsConfig, AdsIdentity, load_config, shared_client
from connectors.google_ads.connector import GoogleAdsConnector, GoogleAdsSettings

__all__ = ["API_VERSION", "AdsConfig", "AdsIdentity", "GoogleAdsConnector", "GoogleAdsSettings", "load_config",
           "shared_client"]
