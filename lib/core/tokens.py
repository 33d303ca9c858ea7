"""Single-use approve/reject links sent to operators in notifications.

A token is ``<payload>.<mac>``, both url-safe base64 without padding: the payload is a compact
JSON array, the mac an HMAC-SHA256 over it. Reading checks authenticity then expiry; binding it
to the caller, the request, the current plan (:func:`check_claim`) and single use (the nonce,
remembered by the store) is the caller's part, since only the caller knows them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal, cast

from . import codes
from .errors import InvalidToken

Verdict = Literal["approve", "reject"]
DECISIONS: frozenset[str] = frozenset({"approve", "reject"})
_CONTEXT = b"governance.decision.v1:"  # so a MAC made for anything else never passes here
MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class DecisionClaim:
    operator: str
    request_id: int
    decision: Verdict
    plan_checksum: str
    expires_at: int  # unix seconds
    nonce: str


def make_decision_token(
    key: bytes,
    operator: str,
    request_id: int,
    decision: Verdict,
    plan_checksum: str,
    expires_at: int,
    nonce: str,
) -> str:
    """A link token letting ``operator`` take ``decision`` on the request as planned, once, until expiry."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the signing key must have at least {MIN_KEY_BYTES} bytes")
    if decision not in DECISIONS or not operator or not nonce:
        raise ValueError("a decision token needs an operator, approve/reject and a nonce")
    claim = [operator, request_id, decision, plan_checksum, expires_at, nonce]
    payload = _b64(json.dumps(claim, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{payload}.{_mac(key, payload)}"


def read_decision_token(key: bytes, token: str, now: int) -> DecisionClaim:
    """The claim in an authentic, unexpired token; else InvalidToken("token.invalid"/"token.expired")."""
    payload, dot, mac = token.partition(".")
    if not dot or not hmac.compare_digest(_mac(key, payload).encode(), mac.encode()):
        raise InvalidToken(codes.TOKEN_INVALID)
    claim = _parse(payload)
    if now >= claim.expires_at:
        raise InvalidToken(codes.TOKEN_EXPIRED)
    return claim


def check_claim(claim: DecisionClaim, caller: str, request_id: int, current_checksum: str) -> None:
    """Refuse a link used by another operator, on another request, or after the plan changed."""
    if claim.operator != caller:
        raise InvalidToken(codes.TOKEN_FOREIGN)
    if claim.request_id != request_id:
        raise InvalidToken(codes.TOKEN_WRONG_REQUEST)
    if not hmac.compare_digest(claim.plan_checksum.encode(), current_checksum.encode()):
        raise InvalidToken(codes.TOKEN_STALE)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, _CONTEXT + payload.encode("utf-8"), hashlib.sha256).digest())


def _parse(payload: str) -> DecisionClaim:
    """Decode an authentic payload; a well-signed but odd one is still refused, never trusted."""
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        fields = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidToken(codes.TOKEN_INVALID) from None
    kinds = (str, int, str, str, int, str)
    shape_ok = isinstance(fields, list) and len(fields) == len(kinds)
    if (
        not shape_ok
        or any(type(v) is not t for v, t in zip(fields, kinds, strict=True))
        or fields[2] not in DECISIONS
    ):
        raise InvalidToken(codes.TOKEN_INVALID)
    operator, request_id, decision, checksum, expires_at, nonce = fields
    return DecisionClaim(operator, request_id, cast(Verdict, decision), checksum, expires_at, nonce)
