"""``make demo-reset`` forgets the demo's database, and only it."""

from __future__ import annotations

from pathlib import Path

from ex_app.dev import forget_demo


def test_demo_reset_removes_the_demo_database_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "governance.sqlite3").write_text("x")
    (tmp_path / "governance.sqlite3-wal").write_text("x")
    (tmp_path / "notes.txt").write_text("kept")
    assert forget_demo(tmp_path) is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert forget_demo(tmp_path) is False
