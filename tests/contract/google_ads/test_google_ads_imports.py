"""Cold start: importing the entry points, the service layer or the connectors must not load `google.ads`
(about 1,500 modules and a second of start-up); only the first call that needs a client does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import importlib, json, os, pkgutil, sys

def leaked():
    return sorted(m for m in sys.modules if m == "google.ads" or m.startswith("google.ads."))

names = ["connectors", "connectors.google_ads", "operator_ai", "rollback.registry"]
if os.path.exists("main.py"):
    names.append("main")
import operator_ai
names += [m.name for m in pkgutil.walk_packages(operator_ai.__path__, "operator_ai.")]
for name in names:
    importlib.import_module(name)
from connectors.google_ads import GoogleAdsConnector
GoogleAdsConnector(allowed_customers=lambda org: set())  # constructing the connector stays lazy too
before = leaked()
from connectors.google_ads.config import AdsConfig, build_client
build_client(AdsConfig(developer_token="t", client_id="i", client_secret="s", refresh_token="r"))
print(json.dumps({"imported": names, "before": before, "after_client": len(leaked())}))
"""


def test_entry_points_and_connectors_do_not_import_google_ads() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "main" in report["imported"] or not (ROOT / "main.py").exists()
    assert "operator_ai.wiring" in report["imported"]
    assert report["before"] == []
    assert report["after_client"] > 0  # the probe does see google.ads once a client is built
