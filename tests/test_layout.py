"""The repository's shape: what may import what."""

import ast

from mock_engine import PROJECT_ROOT

OUTSIDE_TESTS = [p for p in PROJECT_ROOT.rglob("*.py")
                 if not {".venv", "tests", "build", "node_modules"} & set(p.relative_to(PROJECT_ROOT).parts)]


def imported_modules(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_outside_tests_imports_from_tests():
    offenders = {str(p.relative_to(PROJECT_ROOT)): sorted(m for m in imported_modules(p)
                                                          if m == "tests" or m.startswith("tests."))
                 for p in OUTSIDE_TESTS}
    assert not {path: modules for path, modules in offenders.items() if modules}


def test_the_offline_engine_serves_the_policy_check_the_report_and_the_benchmarks():
    for consumer in ("policies/offline.py", "report/__main__.py", "bench/policy_check.py"):
        assert any(m == "mock_engine" or m.startswith("mock_engine.")
                   for m in imported_modules(PROJECT_ROOT / consumer)), consumer
