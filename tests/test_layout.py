"""The repository's shape: what may import what."""

import ast
from pathlib import Path

from mock_engine import PROJECT_ROOT

NOT_THE_PROGRAM = {".venv", "tests", "build", "node_modules"}


def outside_tests(root: Path) -> list[Path]:
    """The Python modules under `root` that are not tests, nor installed or built."""
    return [p for p in root.rglob("*.py") if not NOT_THE_PROGRAM & set(p.relative_to(root).parts)]


def imported_modules(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imports_from_tests(root: Path) -> dict[str, list[str]]:
    """Each module outside the tests under `root` that imports from `tests`, with what it imports."""
    offenders = {str(p.relative_to(root)): sorted(m for m in imported_modules(p) if m == "tests" or
                                                  m.startswith("tests."))
                 for p in outside_tests(root)}
    return {path: modules for path, modules in offenders.items() if modules}


def test_no_module_outside_tests_imports_from_tests():
    assert imports_from_tests(PROJECT_ROOT) == {}


def test_an_import_from_tests_is_found_wherever_it_hides(tmp_path):
    """Guards the guard: a module of the program importing a test helper, in either form, is caught; the tests
    themselves and installed packages are not the program."""
    for path, text in {
        "components/bad.py": "from tests.test_ci_access import CI\n",
        "policies/nested/worse.py": "import json\nimport tests.conftest as shared\n",
        "report/fine.py": "from .tests import local\nimport testsuite\n",  # relative, and only a similar name
        "tests/test_x.py": "from tests.conftest import dev\n",
        ".venv/lib/site.py": "import tests\n",
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert imports_from_tests(tmp_path) == {"components/bad.py": ["tests.test_ci_access"],
                                            "policies/nested/worse.py": ["tests.conftest"]}


def test_the_offline_engine_serves_the_policy_check_the_report_and_the_benchmarks():
    for consumer in ("policies/offline.py", "report/__main__.py", "bench/policy_check.py"):
        assert any(m == "mock_engine" or m.startswith("mock_engine.")
                   for m in imported_modules(PROJECT_ROOT / consumer)), consumer
