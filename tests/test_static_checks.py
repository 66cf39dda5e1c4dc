"""Static checks of the program and its tools: types against pulumi-aws's own hints (pyright), and the linter
(ruff), both configured in pyproject.toml.

pyright reads all of pulumi-aws's type stubs it needs, about half a minute of one core, so it starts in the
background as soon as pytest has collected this module (tests/conftest.py) and the test below only collects its
verdict.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from mock_engine import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent
TIMEOUT_SECONDS = 300


class Pyright:
    """One pyright run over the project, started at most once per test session."""

    process: subprocess.Popen[str] | None = None

    @classmethod
    def start(cls) -> None:
        if cls.process is None:
            # The project's file by name: pyright would otherwise take a pyrightconfig.json from any parent folder.
            cls.process = subprocess.Popen([str(VENV_BIN / "pyright"), "--outputjson", "--project",
                                            str(PROJECT_ROOT / "pyproject.toml")], cwd=PROJECT_ROOT,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @classmethod
    def report(cls) -> dict:
        cls.start()
        assert cls.process is not None
        stdout, stderr = cls.process.communicate(timeout=TIMEOUT_SECONDS)
        assert stdout.strip(), f"pyright printed no report (exit {cls.process.returncode}): {stderr}"
        return json.loads(stdout)


def _where(diagnostic: dict) -> str:
    path = Path(diagnostic["file"]).relative_to(PROJECT_ROOT)
    line = diagnostic["range"]["start"]["line"] + 1
    message = diagnostic["message"].splitlines()[0]
    return f"{path}:{line}: {diagnostic['severity']}: {message} ({diagnostic.get('rule')})"


def test_pyright_finds_no_error_in_the_program_components_config_policies_and_report():
    report = Pyright.report()
    found = [_where(d) for d in report["generalDiagnostics"] if d["severity"] in ("error", "warning")]
    assert not found, "\n".join(found)
    assert report["summary"]["filesAnalyzed"] >= 40, report["summary"]


def test_pyright_checks_what_the_issue_names_and_the_misspelt_key_canary():
    settings = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["pyright"]
    assert {"__main__.py", "components", "stack_config", "policies", "report",
            "tests/typing_canary.py"} <= set(settings["include"])
    assert settings["reportUnnecessaryTypeIgnoreComment"] == "error", \
        "without it, the canary's ignore comments would pass even if pyright stopped seeing dict keys"


def ruff(*arguments: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """ruff check with the project's configuration (pyproject.toml), wherever the files are."""
    return subprocess.run([str(VENV_BIN / "ruff"), "check", "--no-cache", "--config",
                           str(PROJECT_ROOT / "pyproject.toml"), *arguments], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_ruff_finds_nothing():
    result = ruff(".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_reports_what_the_project_selects(tmp_path):
    """Guards the guard: with the project's configuration ruff reports an unused import (F401) and an unsorted
    block of imports (I001), so a configuration that selected nothing would fail here."""
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nimport json\n\nprint(json.dumps({}))\n")
    result = ruff("--output-format", "concise", str(bad), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "F401" in result.stdout and "`sys` imported but unused" in result.stdout, result.stdout
    assert "I001" in result.stdout, result.stdout
