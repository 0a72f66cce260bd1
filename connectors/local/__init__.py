"""The embedded default's persistence: one SQLite file (WAL) implementing the `ActionsLog`,
`StateStore`, `OpportunitySource` and `ArtifactStore` ports.

    store = LocalStore.open(".operator/operator.sqlite")
    seed_embedded_default(store, samples_dir, now)   # bundled orgs, opportunities, sandbox fixture (once)
    store.load_opportunities("my-opportunities.jsonl")
"""

from connectors.local.db import Database
from connectors.local.orgs import OrgConfigError, load_orgs
from connectors.local.seed import reset_embedded_default, seed_embedded_default
from connectors.local.store import LocalStore

__all__ = [
    "Database",
    "LocalStore",
    "OrgConfigError",
    "load_orgs",
    "reset_embedded_default",
    "seed_embedded_default",
]
