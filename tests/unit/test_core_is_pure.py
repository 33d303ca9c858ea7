"""lib/core imports only the standard library and itself: the domain does no I/O."""

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "lib" / "core"


def foreign_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:  # relative: inside lib.core
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and not name.startswith("lib.core"):
                found.append(f"{path.name}: {name}")
    return found


def test_core_imports_only_the_standard_library_and_itself() -> None:
    modules = sorted(CORE.glob("*.py"))
    assert modules
    assert [bad for m in modules for bad in foreign_imports(m)] == []


def test_the_check_notices_a_framework_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import httpx\nfrom sqlalchemy import select\nfrom .model import Right\nimport json\n")
    assert foreign_imports(bad) == ["bad.py: httpx", "bad.py: sqlalchemy"]
