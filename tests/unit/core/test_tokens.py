"""Decision links: only an intact, unexpired link, used by its operator on its request and plan, counts."""

from __future__ import annotations

import re

import pytest

from lib.core import tokens
from lib.core.errors import GovernanceError, InvalidToken
from lib.core.tokens import DecisionClaim, check_claim, make_decision_token, read_decision_token

KEY = b"k" * 32
EXPIRES = 1_700_000_000
CLAIM = DecisionClaim("olga", 12, "approve", "a" * 64, EXPIRES, "n0nce")


def token(key: bytes = KEY, **changes: object) -> str:
    fields: dict[str, object] = {
        "operator": "olga",
        "request_id": 12,
        "decision": "approve",
        "plan_checksum": "a" * 64,
        "expires_at": EXPIRES,
        "nonce": "n0nce",
    }
    fields.update(changes)
    return make_decision_token(key, **fields)  # type: ignore[arg-type]


def code_of(key: bytes, value: str, now: int = EXPIRES - 1) -> str:
    with pytest.raises(InvalidToken) as refused:
        read_decision_token(key, value, now)
    assert isinstance(refused.value, GovernanceError)
    return refused.value.code


def test_a_valid_token_gives_back_its_claim() -> None:
    assert read_decision_token(KEY, token(), EXPIRES - 1) == CLAIM
    assert read_decision_token(KEY, token(decision="reject"), 0).decision == "reject"


def test_token_is_url_safe_and_compact() -> None:
    value = token()
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", value)
    assert len(value) < 250


def flip(value: str, index: int) -> str:
    return value[:index] + ("A" if value[index] != "A" else "B") + value[index + 1 :]


@pytest.mark.parametrize(
    "tampered",
    [
        flip(token(), 3),  # payload
        flip(token(), len(token()) - 3),  # mac
        token() + "x",
        token() + "!",
        token().replace(".", ""),
        token() + "." + "x",
        "",
        ".",
        "not a token",
        token(key=b"another key, same length......."),
        token(operator="mallory").split(".")[0] + "." + token().split(".")[1],  # swapped payload
    ],
)
def test_tampered_or_malformed_tokens_are_invalid(tampered: str) -> None:
    assert code_of(KEY, tampered) == "token.invalid"


def test_a_token_read_with_another_key_is_invalid() -> None:
    assert code_of(b"x" * 32, token()) == "token.invalid"


def test_a_well_signed_but_odd_payload_is_still_invalid() -> None:
    for payload in (tokens._b64(b'["olga",12]'), tokens._b64(b'["olga","12","approve","a",1,"n"]'), "%%%"):
        assert code_of(KEY, f"{payload}.{tokens._mac(KEY, payload)}") == "token.invalid"


def test_a_token_expires_at_its_time() -> None:
    assert code_of(KEY, token(), now=EXPIRES) == "token.expired"
    assert code_of(KEY, token(), now=EXPIRES + 3600) == "token.expired"


def test_a_forged_expired_token_says_invalid_not_expired() -> None:
    assert code_of(KEY, flip(token(), 3), now=EXPIRES + 1) == "token.invalid"


def test_a_claim_binds_operator_request_and_plan() -> None:
    check_claim(CLAIM, "olga", 12, "a" * 64)
    cases = [
        (("oscar", 12, "a" * 64), "token.foreign"),
        (("olga", 13, "a" * 64), "token.wrong_request"),
        (("olga", 12, "b" * 64), "token.stale"),
    ]
    for (caller, request_id, checksum), code in cases:
        with pytest.raises(InvalidToken) as refused:
            check_claim(CLAIM, caller, request_id, checksum)
        assert refused.value.code == code
        assert str(refused.value)  # a sentence a person can read


def test_making_a_token_refuses_weak_keys_and_unknown_decisions() -> None:
    with pytest.raises(ValueError):
        token(key=b"short")
    with pytest.raises(ValueError):
        token(decision="delete")
