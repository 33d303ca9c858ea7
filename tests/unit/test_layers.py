"""The layers read in one direction (pyproject.toml [tool.importlinter]): routes -> services -> core,
adapters beside; the core imports no framework and does no I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
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


STORES = {
    "ctx",
    "orgs",
    "audit",
    "gateway",
    "journal",
    "engine",
    "unit",
    "repo",
    "sync",
}  # sync: the services' machinery


def in_routes(find: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """What ``find`` finds in each module of ex_app/routes."""
    routes = sorted((ROOT / "ex_app" / "routes").glob("*.py"))
    return {path.name: hits for path in routes if (hits := find(path.read_text()))}


def reaches_past_services(source: str) -> list[str]:
    """``gov.orgs.save(...)``, ``svc.repo.get(...)``: a route touching a store or Nextcloud itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in STORES:
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in {"gov", "svc"}:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_routes_call_services_and_never_a_store_or_nextcloud() -> None:
    """Issue 17: a route parses, calls one service function and renders; what it may read or
    change, and who may, the service decides."""
    assert in_routes(reaches_past_services) == {}


def test_a_route_reaching_a_store_is_noticed() -> None:
    assert reaches_past_services("async def r(gov):\n    gov.orgs.save(org)\n") == ["line 2: gov.orgs"]
    assert reaches_past_services("def r(svc):\n    return svc.repo.get(1)\n") == ["line 2: svc.repo"]
    assert reaches_past_services("async def r(gov):\n    return gov.organisation.version()\n") == []


def refuses_by_itself(source: str) -> list[str]:
    """A route answering 403 itself: the policy's decision taken in the route, where a new route
    could forget it. Services ask the policy and raise Forbidden; the app renders its 403 page."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg in {"status", "status_code"}:
            if isinstance(node.value, ast.Constant) and node.value.value == 403:
                found.append(f"line {node.value.lineno}: {ast.unparse(node)}")
    return found


def test_no_route_refuses_by_itself_the_services_ask_the_policy() -> None:
    assert in_routes(refuses_by_itself) == {}


def test_a_route_refusing_by_itself_is_noticed() -> None:
    route = 'def r(caller):\n    return render(caller, "message.html", status=403)\n'
    assert refuses_by_itself(route) == ["line 2: status=403"]
    assert refuses_by_itself("def r():\n    return JSONResponse({}, status_code=403)\n") == [
        "line 2: status_code=403"
    ]
    assert refuses_by_itself("def r():\n    return render(status=409)\n") == []
