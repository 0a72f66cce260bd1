"""Signed, expiring tokens for approval links, login links, sessions and CSRF (HMAC-SHA256).

A token is `base64url(claims JSON) . base64url(MAC)`. Every purpose has its own key derived from the
approval signing key, so a token minted for one purpose (a CSRF token, say) can never pass as another
(an approval link). Verification compares MACs in constant time and checks purpose and expiry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

Purpose = Literal["link", "login", "session", "csrf"]


class TokenError(Exception):
    """A token that must be refused: `reason` is one of forged, expired, malformed, purpose."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: str | bytes):
        raw = key.encode() if isinstance(key, str) else key
        if len(raw) < 16:
            raise ValueError("the approval signing key must be at least 16 bytes")
        self._keys = {p: hmac.new(raw, f"operator-approvals/{p}".encode(), hashlib.sha256).digest()
                      for p in ("link", "login", "session", "csrf")}

    def _mac(self, purpose: Purpose, body: str) -> str:
        return _b64(hmac.new(self._keys[purpose], body.encode("ascii"), hashlib.sha256).digest())

    def sign(self, purpose: Purpose, claims: dict[str, Any], expires_at: float) -> str:
        body = _b64(json.dumps({**claims, "p": purpose, "e": int(expires_at)}, sort_keys=True,
                               separators=(",", ":")).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def verify(self, token: str, purpose: Purpose, now: float) -> dict[str, Any]:
        token = (token or "").strip()
        if len(token) > 4096 or not token.isascii():  # a token is base64url: anything else is not one of ours
            raise TokenError("malformed", "the token is malformed")
        body, dot, mac = token.partition(".")
        if not dot or not body or not mac:
            raise TokenError("malformed", "the token is malformed")
        if not hmac.compare_digest(self._mac(purpose, body).encode(), mac.encode("ascii", "replace")):
            raise TokenError("forged", "the token's signature is not valid")
        try:
            claims = json.loads(_unb64(body))
        except (ValueError, binascii.Error):
            raise TokenError("malformed", "the token is malformed") from None
        if not isinstance(claims, dict) or claims.get("p") != purpose or not isinstance(claims.get("e"), int):
            raise TokenError("purpose", "the token was not issued for this")
        if claims["e"] <= now:
            raise TokenError("expired", "the token has expired")
        return claims


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class LinkClaims:
    """What a signed approval link binds: one action, one plan, one organization, one person, a deadline."""

    action_id: str
    plan_hash: str
    organization_id: str
    approver: str
    expires_at: int
    nonce: str

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> LinkClaims:
        try:
            return cls(action_id=str(claims["a"]), plan_hash=str(claims["h"]), organization_id=str(claims["o"]),
                       approver=str(claims["u"]), expires_at=int(claims["e"]), nonce=str(claims["n"]))
        except (KeyError, TypeError, ValueError):
            raise TokenError("malformed", "the approval link is incomplete") from None


def sign_link(signer: Signer, *, action_id: str, plan_hash: str, organization_id: str, approver: str,
              expires_at: float) -> str:
    return signer.sign("link", {"a": action_id, "h": plan_hash, "o": organization_id, "u": approver,
                                "n": new_nonce()}, expires_at)


def sign_login(signer: Signer, *, approver: str, organization_id: str, expires_at: float) -> str:
    """A login link (printed by `operator serve`): opening it starts a signed session for one org."""
    return signer.sign("login", {"u": approver, "o": organization_id}, expires_at)
