"""Reusable helpers for testing any app in apps/: launch it on a free port, drive it with
gradio_client or a headless Chromium.

In a test module:

    from app_helpers import app_server, browser, page  # noqa: F401  (pytest fixtures)

    studio = app_server("studio")            # module-scoped fixture: a RunningApp

    def test_something(studio):
        client = studio.client()
        ...

Apps start exactly as `genlab demo NAME` starts them (`genlab.demo.load_app` and
`launch_settings`), on 127.0.0.1. tests/conftest.py has already set GRADIO_TEMP_DIR and
HF_HUB_OFFLINE before gradio is imported.

The browser is Debian's Chromium (`apt-get install chromium`); Playwright's own browser
download does not work offline. Set GENLAB_CHROMIUM to use another binary.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from types import ModuleType

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
EXPECT_TIMEOUT_MS = 30_000  # Playwright's `expect` waits this long for what the person should see
MODEL_TIMEOUT_MS = 120_000  # ... and this long when the model has to make something first (2 shared CPU cores)


@dataclass
class RunningApp:
    name: str
    url: str
    module: ModuleType

    @property
    def demo(self):
        return self.module.demo

    def client(self, **kwargs):
        from gradio_client import Client

        return Client(self.url, verbose=False, **kwargs)


@contextlib.contextmanager
def launch_app(name: str, room: dict | None = None, **launch_extra):
    """Start apps/NAME.py on a free local port for the duration of the `with` block.

    `room`: genlab.room settings (e.g. `genlab.room.room_settings(batch_size=4)`), set before the
    app is built, as `genlab demo NAME --room` does; reset afterwards.
    """
    from genlab.ui.demo import serving

    with serving(name, room=room, **launch_extra) as module:
        yield RunningApp(name=name, url=module.demo.local_url, module=module)


def app_server(name: str, scope: str = "module", **launch_extra):
    """A pytest fixture that runs apps/NAME.py while the tests of its scope run."""

    @pytest.fixture(scope=scope)
    def _running_app():
        with launch_app(name, **launch_extra) as app:
            yield app

    return _running_app


def spanish(header: str = "es-MX,es;q=0.9") -> dict:
    """gradio_client keyword arguments for a Mexican-Spanish speaker."""
    return {"headers": {"Accept-Language": header}}


def chromium_executable() -> str:
    path = os.environ.get("GENLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail(
            "Browser tests need Chromium: run `apt-get update && apt-get install -y chromium` "
            "(or set GENLAB_CHROMIUM to a Chromium binary), or deselect them with -m 'not browser'.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def page_es(browser):
    """A browser page of someone whose browser speaks Mexican Spanish."""
    context = browser.new_context(viewport=VIEWPORT, locale="es-MX", extra_http_headers={"Accept-Language": "es-MX,es;q=0.9"})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def set_number(page, elem_id: str, value) -> None:
    """Type `value` into the number box of the slider or number field `#elem_id`, as a person does."""
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def expect_message(page, text: str):
    """Assert that Gradio's message box (a toast) with `text` is on screen and has faded in: what
    the person reads, not only what is in the page. Returns its locator."""
    from playwright.sync_api import expect

    toast = page.get_by_test_id("toast-body").filter(has_text=text)
    expect(toast).to_be_visible()
    expect(toast).to_have_css("opacity", "1")
    return toast


def screenshot_path(tmp_path, name: str):
    """Where a screenshot goes: $GENLAB_SCREENSHOTS when set (to look at them), else the test's tmp_path."""
    from pathlib import Path

    folder = Path(os.environ.get("GENLAB_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def wait_until(condition, timeout: float = 60, what: str = "the condition", poll_s: float = 0.05):
    """Poll `condition()` until it is true; fail the test after `timeout` seconds saying `what` never happened."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}", pytrace=False)
        time.sleep(poll_s)
