"""Organization configuration files (YAML or JSON) for the embedded default (spec §10).

The file is validated by pydantic (`OrgPolicy`) with one clear line per problem. Limit overrides are
checked by the caller's `check_policy` (the guardrails package owns what "tighter" means; connectors
must not import it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schemas.opportunity import describe_validation_error
from schemas.policy import OrgPolicy

PolicyCheck = Callable[[OrgPolicy], None]


class OrgConfigError(ValueError):
    """The organizations file cannot be used; the message names the file, the entry and the field."""


def load_orgs(path: str | Path, *, check_policy: PolicyCheck | None = None) -> list[OrgPolicy]:
    """Read `organizations: [...]` (or a bare list) from a .yaml/.yml/.json file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        document: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise OrgConfigError(f"{path}: cannot read organizations: {error}") from None
    entries = document.get("organizations") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise OrgConfigError(f"{path}: expected a list under 'organizations'")
    policies: list[OrgPolicy] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        name = entry.get("organization_id") if isinstance(entry, dict) else None
        label = f"{path}: organization #{index}" + (f" ({name})" if isinstance(name, str) else "")
        try:
            policy = OrgPolicy.model_validate(entry)
        except ValidationError as error:
            raise OrgConfigError(f"{label}: {describe_validation_error(error)}") from None
        if policy.organization_id in seen:
            raise OrgConfigError(f"{label}: organization_id appears twice")
        if check_policy is not None:
            try:
                check_policy(policy)
            except ValueError as error:
                raise OrgConfigError(f"{label}: {error}") from None
        seen.add(policy.organization_id)
        policies.append(policy)
    return policies
