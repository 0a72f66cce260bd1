"""requirements.lock stands behind the deployed function: every dependency of pyproject.toml pinned with hashes.

Regenerate it with `./dev lock` after changing `[project.dependencies]` (this test names what is missing).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, hashes) from the lock file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text(encoding="utf-8")):
        match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", block)
        if match:
            entries[canonicalize_name(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:[0-9a-f]{64}", block))
    return entries


def test_every_dependency_is_pinned_with_hashes_in_requirements_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    locked = _locked()
    problems = []
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(locked[name][0], prereleases=True):
            problems.append(f"{requirement.name}=={locked[name][0]} does not satisfy {requirement.specifier}")
    assert problems == [], "run ./dev lock: " + "; ".join(problems)
    assert locked and all(hashes for _, hashes in locked.values())
    assert "email-validator" in locked  # pydantic[email]: extras are resolved too
