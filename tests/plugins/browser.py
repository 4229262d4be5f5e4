"""Headless Chromium for the dashboard's end-to-end tests, driven by Playwright.

The browser is Debian's ``chromium`` (``make browser`` installs it); Playwright never
downloads one of its own. One browser per test module, with a fresh profile (Playwright
launches every browser on a new temporary user-data directory); each test opens its own
context, so cookies never leak between users or tests. Screenshots land in
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.api_server import PASSWORD

CHROMIUM = os.environ.get("JWSTDATA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} not found: run `make browser` (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


LAPTOP = {"width": 1280, "height": 900}
# 4xx answers the tests provoke on purpose show in the console as failed loads.
IGNORED_CONSOLE = ("Failed to load resource",)


class WatchedPages:
    """Pages in fresh browser contexts that collect script errors and console errors (CSP
    violations among them); :meth:`close` closes them and fails the test on any."""

    def __init__(
        self,
        browser: Any,
        base_url: str,
        timeout_ms: int = 15_000,
        ignore_console: tuple[str, ...] = (),
    ) -> None:
        self.browser = browser
        self.base_url = base_url
        self.timeout_ms = timeout_ms
        self.ignore_console = ignore_console  # console errors containing any of these
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def new(self, viewport: dict[str, int] = LAPTOP, **context_options: Any) -> Any:
        context = self.browser.new_context(
            viewport=viewport, base_url=self.base_url, **context_options
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(self.timeout_ms)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)
        return page

    def _console(self, msg: Any) -> None:
        if (
            msg.type == "error"
            and not msg.text.startswith(IGNORED_CONSOLE)
            and not any(text in msg.text for text in self.ignore_console)
        ):
            self.problems.append(f"console: {msg.text}")

    def open(
        self,
        user: str | None = None,
        viewport: dict[str, int] = LAPTOP,
        *,
        sessions: dict[str, Any] | None = None,
    ) -> Any:
        """A new page, signed in as ``user`` if one is given. With ``sessions`` (kept by the
        caller, e.g. for a module), each user signs in through the form once and later
        pages start from the session it left."""
        state = sessions.get(user) if sessions is not None and user else None
        page = self.new(viewport, storage_state=state)
        if user and state is None:
            sign_in(page, user)
            if sessions is not None:
                sessions[user] = page.context.storage_state()
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert not self.problems, self.problems


def sign_in(page: Any, user: str, password: str = PASSWORD) -> None:
    """Through the sign-in form, as a person would."""
    page.goto("/signin")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
