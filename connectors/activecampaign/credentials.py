"""The default token resolver: org configs hold references (`env:NAME`, `sm:NAME`), never tokens.

The composition root may inject a resolver that also reads Secret Manager; without one, only `env:`
references resolve. Errors name the reference, never a value.
"""

from __future__ import annotations

import os


def env_secret_resolver(ref: str) -> str:
    scheme, _, name = ref.partition(":")
    if scheme != "env":
        raise LookupError(f"no resolver configured for {scheme}: references ({ref})")
    value = os.environ.get(name, "")
    if not value:
        raise LookupError(f"environment variable {name} is not set")
    return value
