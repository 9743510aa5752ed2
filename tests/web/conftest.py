"""The web app's browser tests: `caseway local` on a free port serving the built app (web/dist), Debian's Chromium
driven by Playwright (headless, --no-sandbox: the tests run as root), and helpers a page test needs:

- `web` (a Browse per test): `goto`, `sign_in(email)` through the local sign-in page (as a person would: the
  button named after the demo user), `axe()` (axe-core run in the page: the serious and critical violations),
  `screenshot(name)` (saved under tests/web/screenshots/, git-ignored), `csp_violations()`; at the end of the test
  it fails on any page error, console error or Content-Security-Policy violation the page had.
- `browse(locale=..., timezone=...)`: another Browse, e.g. a browser that speaks Czech in Prague.

Find elements by role and label (page.get_by_role / get_by_label), as a person and a screen reader do.
`make test` builds web/dist and installs Chromium first (make web, make chromium)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SERIOUS = ("serious", "critical")

# Records what the page's Content-Security-Policy refused (the event fires in the page; console messages may not).
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample});
});
"""


@pytest.fixture(scope="session")
def web_stack() -> Iterator[str]:
    """The local stack serving the built app; its base URL."""
    if not (DIST / "index.html").is_file():
        pytest.fail("web/dist is not built: run `make web` (make test builds it)")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["CASEWAY_DEMO_TICKETS"] = "0"  # the browser tests bring their own tickets (make run works demo tickets)
    env.setdefault("SMTP_PORT", str(free_port()))  # its SMTP server too: never the 2525 of a `make run` beside it
    log = tempfile.NamedTemporaryFile("w+", prefix="caseway-web-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.cli", "local", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    started = False
    while time.monotonic() < deadline and process.poll() is None:
        if any(line.startswith("Press Ctrl-C") for line in Path(log.name).read_text().splitlines()):
            started = True
            break
        time.sleep(0.2)
    if not started:
        process.kill()
        pytest.fail("the local stack did not start:\n" + Path(log.name).read_text())
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    Path(log.name).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: run `make chromium` (apt-get install -y chromium; make test does it)")
    from playwright.sync_api import sync_playwright  # the browser tests only: other tests never load Playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


class Browse:
    """One browser context (a person's browser: language, time zone) on the local stack."""

    def __init__(self, browser: Any, base_url: str, name: str, locale: str, timezone: str) -> None:
        self.base_url = base_url
        self.name = name
        self.context = browser.new_context(
            base_url=base_url, locale=locale, timezone_id=timezone, viewport={"width": 1280, "height": 900}
        )
        self.context.add_init_script(RECORD_CSP)
        self.page = self.context.new_page()
        self.page.set_default_timeout(
            30_000
        )  # the local stack serves one request at a time; CI runs two test workers beside it
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.shots = 0

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def goto(self, path: str) -> Any:
        """Opens `path`; the HTTP response of the document."""
        return self.page.goto(path)

    def sign_in(self, email: str) -> None:
        """Signs in through the local sign-in page: the button of the demo user with this address."""
        self.goto("/app/sign-in")
        entry = self.page.get_by_role("listitem").filter(has_text=email)
        entry.get_by_role("button").click()
        self.page.wait_for_url(re.compile(r"/app/(?!sign-in)"))

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now (0 expected)."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # evaluated through the DevTools protocol, not as a <script>: the page's CSP stays as it is
            self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = self.page.evaluate("async () => (await axe.run(document)).violations")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result
            if v["impact"] in SERIOUS
        ]

    def csp_violations(self) -> list[dict[str, Any]]:
        recorded = self.page.evaluate("window.__cspViolations || []")
        logged = [m for m in self.console if "Content Security Policy" in m]
        return [*recorded, *({"console": m} for m in logged)]

    def screenshot(self, label: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.shots += 1
        path = SCREENSHOTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def focused(self) -> str:
        """The focused element's accessible text (its label, or its text)."""
        return self.page.evaluate(
            "() => { const e = document.activeElement; if (!e) return '';"
            " return (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || '').trim(); }"
        )

    def tab_to(self, pattern: str, limit: int = 40) -> None:
        """Presses Tab until the focused element's text matches `pattern` (a regular expression)."""
        seen = []
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            text = self.focused()
            if re.search(pattern, text):
                return
            seen.append(text)
        raise AssertionError(f"Tab never reached {pattern!r}; focus went through {seen}")

    def problems(self) -> list[str]:
        out = [f"page error: {e}" for e in self.errors]
        out += [f"console {m}" for m in self.console if not _expected_console(m)]
        try:
            out += [f"CSP violation: {v}" for v in self.page.evaluate("window.__cspViolations || []")]
        except Exception as error:  # the page is gone: nothing more to read from it
            out.append(f"could not read the page's CSP violations: {error}")
        return out

    def close(self) -> None:
        self.context.close()


def _expected_console(message: str) -> bool:
    """Console lines a page may show without a defect: the browser logging a failed request the test provoked
    (a 401/404 the page then explains) is one; everything else is reported."""
    return "Failed to load resource: the server responded with a status of 4" in message


@pytest.fixture
def browse(chromium: Any, web_stack: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Browse]]:
    """Opens browsers (locale, time zone) for one test; each is checked for page errors, console errors and CSP
    violations when the test ends."""
    opened: list[Browse] = []
    test = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")

    def open_browser(locale: str = "en-GB", timezone: str = "Europe/London") -> Browse:
        browser = Browse(chromium, web_stack, f"{test}-{len(opened) + 1}", locale, timezone)
        opened.append(browser)
        return browser

    yield open_browser
    problems = [f"{b.name}: {p}" for b in opened for p in b.problems()]
    for browser in opened:
        browser.close()
    if problems:
        pytest.fail("the pages had problems:\n" + "\n".join(problems))


@pytest.fixture
def web(browse: Callable[..., Browse]) -> Browse:
    """A browser in English (en-GB, Europe/London) on the local stack."""
    return browse()
