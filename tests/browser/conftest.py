"""Browser tests: Debian's chromium driven by Playwright against `make run`'s demo (stand-in + ExApp)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ex_app.dev import Demo, start_demo

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    storage = tmp_path_factory.mktemp("demo")
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        d = pool.submit(asyncio.run, start_demo(storage=storage)).result(timeout=120)
    yield d
    d.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Person:
    """A person at their browser, logged in to the stand-in, on the Governance page."""

    def __init__(self, browser: Any, demo: Demo, uid: str, lang: str = "en") -> None:
        self.demo = demo
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
        self.page = self.context.new_page()
        self.uid, self.lang = uid, lang
        self.page.goto(f"{demo.standin.url}/standin/login?user={uid}&lang={lang}&next=/")

    def open(self, sub: str = "") -> Any:
        path = self.demo.page_url.split(self.demo.standin.url, 1)[1] + sub
        self.page.goto(self.demo.standin.url + path)
        self.page.wait_for_selector("#gov-main", timeout=15000)
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-{self.lang}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def person(browser: Any, demo: Demo) -> Iterator[Any]:
    people: list[Person] = []

    def make(uid: str, lang: str = "en") -> Person:
        people.append(Person(browser, demo, uid, lang))
        return people[-1]

    yield make
    for p in people:
        p.close()
