"""Headless Chromium from Debian's packages, driven by Playwright, against real servers.

Playwright cannot download its own browsers here; `make test` installs Debian's `chromium`
(`make browser`), and a missing browser fails the tests rather than skipping them. A failed
test leaves a screenshot and the page's console log in test-artifacts/<test>/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    WebSocket,
    async_playwright,
)

from tests.support.servers import ServerProcess, newcomer_server, static_site

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts"
# As the machine's notes have it: headless, as root, and no call home (the network is closed,
# and each refused connection would be noise in the page's log).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(
            "Debian's chromium is not installed: `make browser` (or `make test`) installs it"
        )
    return found


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class PageLog:
    """What the page did: every request's URL, its console, its uncaught errors."""

    requests: list[str] = field(default_factory=list)
    # Each WebSocket's URL, and every text frame the page received on one.
    sockets: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        return [line for line in self.console if line.startswith("error:")]


@dataclass
class BrowserPage:
    page: Page
    log: PageLog


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_OUTCOMES, {})[report.when] = report
    return report


_OUTCOMES = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture
async def browser_page(
    browser: Browser, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserPage]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    log = PageLog()

    def on_console(message: ConsoleMessage) -> None:
        log.console.append(f"{message.type}: {message.text}")

    def on_request(sent: Request) -> None:
        log.requests.append(sent.url)

    def on_websocket(socket: WebSocket) -> None:
        log.sockets.append(socket.url)
        socket.on("framereceived", lambda frame: log.frames.append(str(frame)))

    page.on("console", on_console)
    page.on("websocket", on_websocket)
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    page.on("request", on_request)
    try:
        yield BrowserPage(page, log)
    finally:
        call = request.node.stash.get(_OUTCOMES, {}).get("call")
        if call is not None and call.failed:
            await _keep_evidence(page, log, request.node.nodeid)
        await context.close()


async def _keep_evidence(page: Page, log: PageLog, test_id: str) -> None:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_id)
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=folder / "page.png", full_page=True)
    lines = [*log.console, *(f"pageerror: {error}" for error in log.errors)]
    (folder / "console.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "requests.log").write_text("\n".join(log.requests) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`seed-demo` then `serve`, as README's first command runs them."""
    with newcomer_server(tmp_path_factory.mktemp("newcomer")) as server:
        yield server


@contextmanager
def merchant_site(
    folder: Path, scripts: Mapping[str, str | None], body: str = "<p>shop</p>"
) -> Iterator[str]:
    """A merchant's static pages on an origin of their own: each page of `scripts` loads the
    script at its URL (None: no script) and shows `body`. Yields the site's URL."""
    for name, script_url in scripts.items():
        script = f"<script src='{script_url}'></script>" if script_url else ""
        page = (
            "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>shop</title>"
            f"<link rel='icon' href='data:,'>{script}</head><body>{body}</body></html>"
        )
        (folder / name).write_text(page, encoding="utf-8")
    with static_site(folder) as url:
        yield url
