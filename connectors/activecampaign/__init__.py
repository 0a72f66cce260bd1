"""ActiveCampaign over `requests`: the `PlatformConnector` for platform `activecampaign` (mode LIVE).

Modules: `paths` (every endpoint; unconfirmed ones isolated), `parsing` (AC's string numbers, dates and
error shapes), `throttle` (≤ 5 requests/second per account, process-wide), `client` (session, timeouts,
retries, error taxonomy), `reads` (snapshot state), `split_test`, `campaign_ops`, `automation_ops` (one
module per family of operations) and `connector` (allowlist, credentials, the port). See
docs/activecampaign.md.
"""

from connectors.activecampaign.client import ClientSettings
from connectors.activecampaign.connector import ActiveCampaignConnector
from connectors.activecampaign.throttle import Clock, SystemClock

__all__ = ["ActiveCampaignConnector", "ClientSettings", "Clock", "SystemClock"]
