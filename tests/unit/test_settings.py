"""Settings refuse to start without a strong app secret (issue 13.5): no secret has a default."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from lib.settings import Settings


@pytest.fixture(autouse=True)
def _no_secret_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("APP_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file either


@pytest.mark.parametrize("weak", ["", "change-me", "x" * 31])
def test_a_missing_or_short_secret_is_refused_at_start_up_with_a_clear_message(weak: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(app_secret=weak)
    message = str(refused.value)
    assert "APP_SECRET must be the app's secret registered with AppAPI, at least 32 characters" in message
    assert f"(it is {len(weak)})" in message
    assert not weak or weak not in message  # the refused value is not echoed


def test_without_any_secret_the_app_does_not_start() -> None:
    with pytest.raises(ValidationError, match="APP_SECRET must be"):
        Settings()


def test_a_strong_secret_from_the_environment_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    strong = secrets.token_urlsafe(32)
    monkeypatch.setenv("APP_SECRET", strong)
    assert Settings().app_secret == strong
