from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM, launch_browser, offline_context, start_servers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_db(tmp_path_factory) -> str:
    from toolkit.demo import build_demo_database

    db = str(tmp_path_factory.mktemp("browser-db") / "linli.sqlite")
    build_demo_database(db, count=40)
    return db


@pytest.fixture(scope="session")
def servers(browser_db, tmp_path_factory):
    running = start_servers(browser_db, tmp_path_factory.mktemp("voila"))
    yield running
    for r in running.values():
        r.stop()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make test` (installs Debian chromium) or set LINLI_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


class Tab:
    """One browser tab plus what it tried to fetch from outside and the dialogs it opened."""

    def __init__(self, browser, width: int, height: int) -> None:
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context = offline_context(browser, width=width, height=height, external=self.external)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tablet(browser):
    tab = Tab(browser, 1280, 800)
    yield tab
    tab.close()


@pytest.fixture
def projector(browser):
    tab = Tab(browser, 1920, 1080)
    yield tab
    tab.close()
