"""Who is calling: the scheduler (OIDC or shared secret) and the human approver (IAP or session).

Everything fails closed: a method that is not configured never authenticates anyone, and headers a
client can set (X-Goog-Authenticated-User-Email) are trusted only after the signed IAP assertion that
comes with them has been verified. An approval link is not an identity: it only names an action
(`link_claims`); the decision is always the signed-in person's, checked against the org's approvers.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from operator_ai.http.config import GOOGLE_OIDC_ISSUERS, IAP_ISSUER, HttpSettings
from operator_ai.http.tokens import LinkClaims, Signer, TokenError, new_nonce
from operator_ai.settings import Settings
from schemas.policy import OrgPolicy

log = logging.getLogger("operator.http.auth")

SECRET_HEADER = "X-Operator-Secret"  # noqa: S105 (a header name, not a secret)
IAP_ASSERTION_HEADER = "X-Goog-IAP-JWT-Assertion"
IAP_EMAIL_HEADER = "X-Goog-Authenticated-User-Email"
SESSION_COOKIE = "operator_session"

# (token, audience, certs_url) -> verified claims; raises on any problem. Injectable for tests.
TokenVerifier = Callable[[str, str, str], Mapping[str, Any]]


class AuthFailure(Exception):
    """Refused: `status` is 401 (who are you?) or 403 (you may not)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def google_verifier(token: str, audience: str, certs_url: str) -> Mapping[str, Any]:
    """Verify a Google-signed JWT (signature, expiry, audience) against the keys at `certs_url`."""
    import google.auth.transport.requests
    from google.oauth2 import id_token

    return id_token.verify_token(token, google.auth.transport.requests.Request(), audience=audience,
                                 certs_url=certs_url)


# --------------------------------------------------------------------------- the scheduler


@dataclass(frozen=True)
class Caller:
    principal: str
    method: str  # "oidc" or "shared-secret"


def authenticate_scheduler(headers: Mapping[str, str], settings: Settings, http: HttpSettings,
                           verify: TokenVerifier = google_verifier) -> Caller:
    authorization = headers.get("Authorization", "")
    secret = headers.get(SECRET_HEADER)
    if authorization.lower().startswith("bearer ") and http.oidc_audience:
        return _oidc_caller(authorization[7:].strip(), http, verify)
    if secret is not None and settings.shared_secret is not None:
        expected = settings.shared_secret.get_secret_value().encode()
        if expected and hmac.compare_digest(secret.encode("utf-8", "replace"), expected):
            return Caller("shared-secret", "shared-secret")
        raise AuthFailure(403, "the shared secret is wrong")
    raise AuthFailure(401, "authentication required (a Google-signed identity token, or the shared secret)")


def _oidc_caller(token: str, http: HttpSettings, verify: TokenVerifier) -> Caller:
    try:
        claims = verify(token, http.oidc_audience or "", http.oidc_certs_url)
    except Exception as error:  # any verification problem is the caller's: never a 500
        log.info(json.dumps({"event": "oidc_refused", "why": type(error).__name__}))
        raise AuthFailure(401, "the identity token is not valid for this function") from None
    email = str(claims.get("email") or "").casefold()
    if claims.get("iss") not in GOOGLE_OIDC_ISSUERS or claims.get("email_verified") is not True:
        raise AuthFailure(401, "the identity token is not a verified Google identity")
    if email not in http.invokers:
        raise AuthFailure(403, f"{email or 'this identity'} may not start runs")
    return Caller(email, "oidc")


# --------------------------------------------------------------------------- the human approver


@dataclass(frozen=True)
class Identity:
    """A signed-in person acting for one organization (IAP or a session; never a link)."""

    approver: str
    organization_id: str
    source: str  # "iap" or "session"
    binding: str  # what CSRF tokens are bound to


def is_approver(policy: OrgPolicy, email: str) -> bool:
    """One of the org's approvers (an org's console admins approve too: admin implies approver)."""
    email = email.casefold()
    for entry in (*policy.approvers, *policy.admins):
        entry = entry.casefold()
        if entry == email or (entry.startswith("*@") and email.endswith(entry[1:])):
            return True
    return False


def iap_email(headers: Mapping[str, str], http: HttpSettings, verify: TokenVerifier = google_verifier) -> str | None:
    """The email IAP vouches for (assertion verified); None when IAP is not in use; 401 when it is invalid."""
    assertion = headers.get(IAP_ASSERTION_HEADER)
    if not http.iap_audience or not assertion:
        return None
    try:
        claims = verify(assertion, http.iap_audience, http.iap_certs_url)
    except Exception as error:
        log.info(json.dumps({"event": "iap_refused", "why": type(error).__name__}))
        raise AuthFailure(401, "the Identity-Aware Proxy assertion is not valid") from None
    email = str(claims.get("email") or "")
    if claims.get("iss") != IAP_ISSUER or not email:
        raise AuthFailure(401, "the Identity-Aware Proxy assertion names no user")
    asserted = headers.get(IAP_EMAIL_HEADER)
    if asserted is not None and asserted.rpartition(":")[2].casefold() != email.casefold():
        raise AuthFailure(401, "the identity headers disagree")
    return email


def iap_identity(headers: Mapping[str, str], http: HttpSettings, orgs: list[OrgPolicy], wanted_org: str | None,
                 verify: TokenVerifier = google_verifier) -> Identity | None:
    """The person IAP signed in, for one organization they approve for; None when IAP is not in use."""
    email = iap_email(headers, http, verify)
    if email is None:
        return None
    mine = [p.organization_id for p in orgs if is_approver(p, email)]
    if wanted_org is not None:
        if wanted_org not in mine:
            raise AuthFailure(403, f"{email} does not approve for organization {wanted_org}")
        org = wanted_org
    elif len(mine) == 1:
        org = mine[0]
    elif not mine:
        raise AuthFailure(403, f"{email} is not an approver of any organization")
    else:
        raise AuthFailure(400, f"{email} approves for several organizations: add ?org= one of {', '.join(mine)}")
    return Identity(email, org, "iap", f"iap:{email.casefold()}:{org}")


def session_identity(cookie: str | None, signer: Signer, now: float) -> Identity | None:
    if not cookie:
        return None
    try:
        claims = signer.verify(cookie, "session", now)
    except TokenError:
        return None  # an old or foreign cookie: sign in again
    return Identity(str(claims["u"]), str(claims["o"]), "session", f"session:{claims['s']}")


def require_approver(identity: Identity, policy: OrgPolicy | None) -> Identity:
    """The person must be one of the org's approvers (OrgPolicy.approvers) now, not just when signed in."""
    if policy is None or not is_approver(policy, identity.approver):
        raise AuthFailure(403, f"{identity.approver} is not an approver of organization {identity.organization_id}")
    return identity


def signed_in_approver(headers: Mapping[str, str], session_cookie: str | None, *, http: HttpSettings,
                       signer: Signer, now: float, orgs: Callable[[], list[OrgPolicy]],
                       get_org: Callable[[str], OrgPolicy | None], wanted_org: str | None = None,
                       verify: TokenVerifier = google_verifier) -> Identity:
    """The signed-in approver (IAP first, else the session cookie) for `wanted_org` or their own org.

    401 when nobody is signed in; 403 when the person may not approve for that organization.
    """
    identity = iap_identity(headers, http, orgs() if http.iap_audience else [], wanted_org, verify)
    if identity is None:
        identity = session_identity(session_cookie, signer, now)
    if identity is None:
        raise AuthFailure(401, "Sign in first (through your organization's sign-in, or the login link printed by "
                               "`operator serve`), then open the approval link again.")
    if wanted_org is not None and wanted_org != identity.organization_id:
        raise AuthFailure(403, f"You approve for {identity.organization_id}, not {wanted_org}.")
    return require_approver(identity, get_org(identity.organization_id))


def require_signed_in(headers: Mapping[str, str], session_cookie: str | None, *, http: HttpSettings, signer: Signer,
                      now: float, verify: TokenVerifier = google_verifier) -> None:
    """401 unless somebody is signed in (IAP or session): asked before a request body is read, so an
    anonymous caller cannot make the function read (or wait for) a large body."""
    if iap_email(headers, http, verify) is None and session_identity(session_cookie, signer, now) is None:
        raise AuthFailure(401, "Sign in first (through your organization's sign-in, or the login link printed by "
                               "`operator serve`), then open the approval link again.")


def link_claims(token: str, signer: Signer, now: float) -> LinkClaims:
    """Which action an approval link points at. It carries no authority: whoever decides must be signed in."""
    try:
        return LinkClaims.from_claims(signer.verify(token, "link", now))
    except TokenError as error:
        raise AuthFailure(403, f"approval link refused: {error}") from None


def start_session(login_token: str, signer: Signer, now: float, ttl_s: float) -> tuple[Identity, str]:
    """Exchange a login link for a session cookie value (a fresh session id binds its CSRF tokens)."""
    try:
        claims = signer.verify(login_token, "login", now)
    except TokenError as error:
        raise AuthFailure(403, f"login link refused: {error}") from None
    session_id = new_nonce()
    cookie = signer.sign("session", {"u": claims["u"], "o": claims["o"], "s": session_id}, now + ttl_s)
    return Identity(str(claims["u"]), str(claims["o"]), "session", f"session:{session_id}"), cookie


def csrf_token(identity: Identity, signer: Signer, now: float, ttl_s: float) -> str:
    return signer.sign("csrf", {"b": identity.binding}, now + ttl_s)


def check_csrf(token: str | None, identity: Identity, signer: Signer, now: float) -> None:
    try:
        claims = signer.verify(token or "", "csrf", now)
    except TokenError as error:
        raise AuthFailure(403, f"the form token is missing or invalid ({error.reason}); reload the page") from None
    if not hmac.compare_digest(str(claims.get("b")).encode(), identity.binding.encode()):
        raise AuthFailure(403, "the form token belongs to another session; reload the page")
