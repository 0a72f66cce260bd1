"""A local gRPC fake of the Google Ads API for the connector's contract tests (see server.py)."""

from .server import ACCESS_TOKEN, DEVELOPER_TOKEN, Call, FakeGoogleAds, Fault
from .state import Account

__all__ = ["ACCESS_TOKEN", "DEVELOPER_TOKEN", "Account", "Call", "FakeGoogleAds", "Fault"]
