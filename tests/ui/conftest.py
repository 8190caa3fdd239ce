"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, the app on a real
uvicorn socket (``serve`` from tests/web), and users made with the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.conftest import province, serve  # noqa: F401  (fixtures used here)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a downloaded browser)."""
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.fail("the UI tests need Debian's chromium: run 'make tools' "
                    "(or 'sudo apt-get install chromium')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def site(serve, app, province, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    """The example province, published and served; ``site.url`` and ``site.user(...)``."""
    client = serve()
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")

    class Site:
        url = str(client.base_url).rstrip("/")
        cli = staticmethod(province)

        def user(self, name: str, role: str, group: str | None = None) -> str:
            args = ["users", "add", name, "--role", role, "--password-file", str(password_file)]
            province(*args, *(["--group", group] if group else []))
            return name

    return Site()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page (a phone-sized one for tests marked so)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def sign_in(site, page: Page) -> Callable[[str], Page]:  # type: ignore[no-untyped-def]
    """``sign_in(name)``: sign ``name`` in through the sign-in form."""

    def run(name: str) -> Page:
        return sign_in_page(page, site.url, name)

    return run


def sign_in_page(page: Page, url: str, name: str) -> Page:
    """Sign ``name`` in on ``page`` (any browser context) through the sign-in form."""
    page.goto(f"{url}/ui/")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/ui/van-ban")
    return page


def shot(page: Page, name: str, backend: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")  # never committed
    path = ARTIFACTS / f"{name}-{backend}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def audio_duration(page: Page, element_id: str) -> float:
    """The duration in seconds the browser decodes for the ``<audio id=element_id>`` on the
    page (its metadata loaded, or an error naming the media error code)."""
    return float(page.evaluate("""(id) => new Promise((resolve, reject) => {
        const a = document.getElementById(id);
        if (a.readyState >= 1) return resolve(a.duration);
        a.addEventListener('loadedmetadata', () => resolve(a.duration));
        a.addEventListener('error', () => reject(new Error('audio error ' + a.error.code)));
        a.load(); })""", element_id))


def csrf_of(page: Page) -> str:
    return page.locator("input[name=csrf]").first.get_attribute("value") or ""
