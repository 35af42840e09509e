"""Open an HTML report in headless Chromium (Debian's, not a downloaded one) and watch it.

Used by tests/test_html.py, and as a script to make the README screenshot:

    .venv/bin/python tests/browser.py examples/seeds/seed_002.py docs/report.png

Playwright drives the system browser at /usr/bin/chromium (`playwright install`
is never needed). Every request, console message, page error and dialog is
recorded, so a test can assert that a report is inert and offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1100, "height": 900}
ROOT = Path(__file__).resolve().parent.parent


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does this on CI)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is missing: pip install -r requirements-dev.txt"
    return None


@dataclass
class Visit:
    """One report opened in a fresh page, with everything the page tried to do."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def visit(chromium: Any, report: Path) -> Iterator[Visit]:
    """Open report from file:// with no network at all, recording what the page does."""
    context = chromium.new_context(viewport=VIEWPORT, offline=True, java_script_enabled=True)
    page = context.new_page()
    seen = Visit(page, report.resolve().as_uri())
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            seen.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(seen.url, wait_until="load")
        # Anything deferred (an image error handler, a timer) would fire by now.
        page.wait_for_timeout(200)
        yield seen
    finally:
        context.close()


def screenshot(chromium: Any, report: Path, png: Path, full_page: bool = True) -> bytes:
    with visit(chromium, report) as seen:
        return seen.page.screenshot(path=str(png), full_page=full_page)


def make_report(script: Path, out: Path, *options: str) -> subprocess.Popen:
    """Start `nndoctor run --out OUT [OPTIONS] SCRIPT` as a user would."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "nndoctor", "run", "--out", str(out), *options, str(script)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tests/browser.py SCRIPT PNG", file=sys.stderr)
        return 2
    script, png = Path(argv[0]), Path(argv[1])
    reason = unavailable()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        process = make_report(script, Path(tmp) / "run")
        output, _ = process.communicate(timeout=600)
        report = Path(tmp) / "run" / "report.html"
        if not report.is_file():
            print(output, file=sys.stderr)
            return 1
        png.parent.mkdir(parents=True, exist_ok=True)
        with browser() as chromium:
            screenshot(chromium, report, png)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
