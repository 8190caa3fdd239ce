"""On a phone (390x844) the schedule and stations pages fit the screen's width."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.ui.conftest import shot, sign_in_page

OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_phone_pages_do_not_overflow(site, browser: Browser, database_url) -> None:  # type: ignore[no-untyped-def]
    name = "pg" if database_url.startswith("postgresql") else "sqlite"
    site.user("tinh", "admin")
    # Not is_mobile: a mobile viewport widens itself to fit what overflows, hiding it.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                  device_scale_factor=2)
    try:
        page = sign_in_page(context.new_page(), site.url, "tinh")
        for path, file in (("/ui/lich-phat?target=TANTIEN-01&week=2030-03-04", "lich-phat"),
                           ("/ui/lich-phat", "lich-phat-tat-ca"), ("/ui/dai-xa", "dai-xa"),
                           ("/ui/chuong-trinh/ban-tin", "chuong-trinh")):
            page.goto(f"{site.url}{path}")
            shot(page, f"phone-{file}", name)
            scroll, width = page.evaluate(OVERFLOW)
            assert width == 390 and scroll <= width, f"{path}: {scroll} px wide on {width} px"
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                             && !e.closest('table'))
                .map(e => e.tagName + (e.id ? '#' + e.id : '')).slice(0, 5)""")
            assert not wide, f"{path}: wider than the screen: {wide}"
        # The entries of the schedule are cards too: the delete button is on screen.
        page.goto(f"{site.url}/ui/lich-phat?target=TANTIEN-01&week=2030-03-04")
        delete = page.get_by_role("button", name="Xóa mục sang")
        box = delete.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, box
    finally:
        context.close()


def test_phone_stations_show_every_column(site, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    """On a phone the stations table becomes cards: 'Đang phát' is on screen, not off to
    the right of a sideways-scrolling table."""
    site.user("tinh", "admin")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    try:
        page = sign_in_page(context.new_page(), site.url, "tinh")
        page.goto(f"{site.url}/ui/dai-xa")
        cell = page.locator("tr", has_text="TANTIEN-01").locator(".playing")
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert "Đang phát" in cell.evaluate(
            "td => getComputedStyle(td, '::before').content")
    finally:
        context.close()
