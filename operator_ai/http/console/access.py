"""Who is using the console and what they may do, decided by the server on every request.

Identity is the approval page's: Identity-Aware Proxy's verified assertion, or the session cookie a
signed login link set (never an approval link: it names one action, not a person's console). Roles come
only from the organization's policy (`viewers`, `approvers`, `admins`; admin ⊃ approver ⊃ viewer) and
from the deployment's global admin list (`OPERATOR_CONSOLE_ADMINS`). A person sees only the
organizations that grant them a role; anything else answers as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from connectors.base import ApprovalError
from operator_ai.approvals import validate_approver
from operator_ai.http.auth import SESSION_COOKIE, AuthFailure, iap_email, session_identity
from operator_ai.http.runtime import Runtime
from schemas.policy import OrgPolicy

Role = Literal["viewer", "approver", "admin"]
RANK: dict[str, int] = {"viewer": 1, "approver": 2, "admin": 3}
# Service accounts (a scheduler, a model's tool runner) can hold an identity but never act here.
_MACHINE_SUFFIXES = (".gserviceaccount.com", ".iam.gserviceaccount.com")


def matches(entries: tuple[str, ...] | list[str], email: str) -> bool:
    """An email against a list of emails and `*@domain` patterns (case-insensitive)."""
    email = email.casefold()
    for entry in entries:
        entry = entry.casefold()
        if entry == email or (entry.startswith("*@") and email.endswith(entry[1:])):
            return True
    return False


def role_in(policy: OrgPolicy, email: str, global_admin: bool = False) -> Role | None:
    if global_admin or matches(policy.admins, email):
        return "admin"
    if matches(policy.approvers, email):
        return "approver"
    if matches(policy.viewers, email):
        return "viewer"
    return None


@dataclass(frozen=True)
class Grant:
    organization_id: str
    name: str
    role: Role


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in person, with every organization granted to them (nothing else is visible)."""

    email: str
    source: str  # "iap" or "session"
    binding: str  # what this person's CSRF tokens are bound to
    grants: tuple[Grant, ...]
    global_admin: bool = False

    def grant(self, organization_id: str | None) -> Grant | None:
        return next((g for g in self.grants if g.organization_id == organization_id), None)

    def may(self, organization_id: str, role: Role) -> bool:
        grant = self.grant(organization_id)
        return grant is not None and RANK[grant.role] >= RANK[role]


def console_user(request: Any, rt: Runtime) -> ConsoleUser:
    assert rt.signer is not None
    email = iap_email(request.headers, rt.http, rt.verify)
    if email is not None:
        source, binding = "iap", f"iap:{email.casefold()}:console"
    else:
        session = session_identity(request.cookies.get(SESSION_COOKIE), rt.signer, rt.now())
        if session is None:
            raise AuthFailure(401, "Sign in first: open the login link printed by `operator serve`, or come "
                                   "through your organization's sign-in (Identity-Aware Proxy).")
        email, source, binding = session.approver, "session", session.binding
    global_admin = matches(rt.http.global_admins, email)
    grants = []
    for policy in sorted(rt.services.state.list_orgs(), key=lambda p: (p.name or p.organization_id).casefold()):
        role = role_in(policy, email, global_admin)
        if role is not None:
            grants.append(Grant(policy.organization_id, policy.name or policy.organization_id, role))
    return ConsoleUser(email, source, binding, tuple(grants), global_admin)


def pick_org(user: ConsoleUser, wanted: str | None) -> Grant:
    """The organization a page shows: the one asked for (if granted), else the person's first."""
    if wanted:
        grant = user.grant(wanted)
        if grant is None:  # not granted and unknown answer alike: other tenants' ids stay unconfirmed
            raise AuthFailure(404, f"No organization {wanted} among yours.")
        return grant
    if not user.grants:
        raise AuthFailure(403, f"{user.email} has no role in any organization: ask an admin to add you to "
                               "the organization's viewers, approvers or admins.")
    return user.grants[0]


def require(user: ConsoleUser, organization_id: str | None, role: Role) -> Grant:
    """The grant for a state change: refused unless the person holds `role` there and is a human."""
    grant = pick_org(user, organization_id)
    if RANK[grant.role] < RANK[role]:
        raise AuthFailure(403, f"{user.email} is a {grant.role} of {grant.name}: this needs the {role} role.")
    require_human(user.email)
    return grant


def require_human(email: str) -> str:
    """A model, the Operator or a service account never acts through the console."""
    if email.casefold().endswith(_MACHINE_SUFFIXES):
        raise AuthFailure(403, "a service account cannot act in the console: a person must")
    try:
        return validate_approver(email)
    except ApprovalError as error:
        raise AuthFailure(403, str(error)) from None
