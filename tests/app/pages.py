"""Helpers for the page tests: what a static page of app/frontend must be for the site's strict CSP, and waiting on
a page in the browser under that CSP."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data.strip()


def check_japanese_page_without_inline_code(page: Path, script: Path) -> list[dict[str, str | None]]:
    """Assert that `page` is Japanese, fits a phone, and has no inline script, style or event handler a strict CSP
    would block, and that its `script` writes no HTML; return its script tags' attributes."""
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    assert dict(parser.tags)["html"].get("lang") == "ja"
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in parser.tags
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts and all(attrs.get("src") for attrs in scripts) and parser.script_text == ""
    assert not [tag for tag, _ in parser.tags if tag == "style"]
    inline = [(tag, name) for tag, attrs in parser.tags for name in attrs if name == "style" or name.startswith("on")]
    assert inline == []
    assert "innerHTML" not in script.read_text(encoding="utf-8")
    return scripts


def wait_until(page: Any, condition: str, timeout: float = 10.0) -> None:
    """Polls a JS function from Python: Playwright's wait_for_function evaluates a string in the page,
    which the page's CSP (no 'unsafe-eval') rightly forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.05)
