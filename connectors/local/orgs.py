"""Organization configuration files (YAML or JSON) for the embedded default (spec §10).

The file is validated by pydantic (`OrgPolicy`) with one clear line per problem. Limit overrides are
checked by the caller's `check_policy` (the guardrails package owns what "tighter" means; connectors
must not import it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from connectors.local.inputs import InputFileError, InputFileProblems, parse_document, read_text
from schemas.opportunity import describe_validation_error
from schemas.policy import OrgPolicy, connected_accounts

PolicyCheck = Callable[[OrgPolicy], None]


class OrgConfigError(InputFileError):
    """The organizations file cannot be used; the message names the file, the line, the entry and the field."""

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        super().__init__("orgs", path, message, line)


def load_orgs(path: str | Path, *, check_policy: PolicyCheck | None = None) -> list[OrgPolicy]:
    """Read `organizations: [...]` (or a bare list) from a .yaml/.yml/.json file.

    Every problem in the file is reported (one line each, with its line number) before anything is used.
    """
    path = Path(path)
    try:
        document, locate = parse_document("orgs", path, read_text("orgs", path))
    except InputFileError as error:
        raise OrgConfigError(path, error.message, error.line) from None
    top: tuple[str, ...] = ("organizations",) if isinstance(document, dict) else ()
    entries = document.get("organizations") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise OrgConfigError(path, "expected a list under 'organizations'", locate(top))
    policies: list[OrgPolicy] = []
    problems: list[InputFileError] = []
    seen: set[str] = set()
    owners: dict[str, str] = {}  # platform account -> the organization it is connected to
    for index, entry in enumerate(entries, start=1):
        where = (*top, index - 1)
        name = entry.get("organization_id") if isinstance(entry, dict) else None
        label = f"organization #{index}" + (f" ({name})" if isinstance(name, str) else "")
        try:
            policy = OrgPolicy.model_validate(entry)
        except ValidationError as error:
            field = error.errors()[0]["loc"] if error.errors() else ()
            problems.append(OrgConfigError(path, f"{label}: {describe_validation_error(error)}",
                                           locate((*where, *field)) or locate(where)))
            continue
        if policy.organization_id in seen:
            problems.append(OrgConfigError(path, f"{label}: organization_id appears twice",
                                           locate((*where, "organization_id"))))
            continue
        if check_policy is not None:
            refused = _refused_limits(policy, check_policy)
            if refused:
                problems += [OrgConfigError(path, f"{label}: {message}", locate((*where, *field)) or locate(where))
                             for field, message in refused]
                continue
        taken = [f"{account} is already connected to {owners[account]}"
                 for account in connected_accounts(policy) if account in owners]
        if taken:  # an action for one org must never be able to touch another's account
            problems += [OrgConfigError(path, f"{label}: {message}", locate((*where, "connected")) or locate(where))
                         for message in taken]
            continue
        owners.update((account, policy.organization_id) for account in connected_accounts(policy))
        seen.add(policy.organization_id)
        policies.append(policy)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InputFileProblems(problems)
    return policies


def _refused_limits(policy: OrgPolicy, check_policy: PolicyCheck) -> list[tuple[tuple[str, ...], str]]:
    """What `check_policy` refuses, limit by limit where it can tell: [(where in the entry, plain message)]."""
    try:
        check_policy(policy)
    except ValueError as error:
        whole = str(error)
    else:
        return []
    refused = []
    for name, value in policy.limits.items():
        try:
            check_policy(policy.model_copy(update={"limits": {name: value}}))
        except ValueError as error:
            text = str(error)
            own = text.removeprefix("policy loosens limits: ")
            plain = own[len(name) + 2:] if own.startswith(f"{name}: ") and ";" not in own else f": {text}"
            refused.append((("limits", name), f"limit `{name}` {plain}".replace("` :", "`:")))
    return refused or [((), whole)]
