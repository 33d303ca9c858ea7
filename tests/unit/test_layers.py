"""The layers read in one direction (pyproject.toml [tool.importlinter]): routes -> services -> core,
adapters beside; the core imports no framework and does no I/O."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_a_broken_contract_is_noticed(tmp_path: Path) -> None:
    """The check is not blind: a core module importing a framework breaks the purity contract."""
    pkg = tmp_path / "lib" / "core"
    pkg.mkdir(parents=True)
    (tmp_path / "lib" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("import sqlalchemy\n")
    (tmp_path / "ex_app").mkdir()
    (tmp_path / "ex_app" / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["lib", "ex_app"]\ninclude_external_packages = true\n\n'
        '[[tool.importlinter.contracts]]\nname = "pure"\ntype = "forbidden"\n'
        'source_modules = ["lib.core"]\nforbidden_modules = ["sqlalchemy"]\n'
    )
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode != 0 and "BROKEN" in done.stdout
