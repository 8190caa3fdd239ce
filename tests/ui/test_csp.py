"""The web UI under its Content-Security-Policy, in Chromium: every page renders, the audio
plays, and the browser reports no violation (no inline script or style anywhere)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.ui.conftest import audio_duration

PAGES = ("/ui/van-ban", "/ui/chuong-trinh", "/ui/chuong-trinh/ban-tin", "/ui/lich-phat",
         "/ui/xuat-ban", "/ui/dai-xa", "/ui/phu-song", "/ui/thong-bao", "/ui/nhat-ky")


def test_every_page_works_under_the_csp(site, page: Page, sign_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    refused: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(message.text)

    page.on("console", listen)
    site.user("tinh", "admin")
    sign_in("tinh")
    short = tmp_path / "thong-bao-ngan.txt"
    short.write_text("Xin chào bà con. Chiều nay có mưa lớn.\n", encoding="utf-8")
    page.get_by_label("Tải lên bản tóm tắt").set_input_files(str(short))
    page.get_by_role("button", name="Tải lên và đọc").click()
    page.wait_for_url(re.compile(r"/ui/van-ban/\d+$"))
    duration = audio_duration(page, "clip")
    assert duration > 1, duration
    for path in PAGES:
        answer = page.goto(f"{site.url}{path}")
        assert answer is not None and answer.ok, path
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        expect(page.locator("h1")).to_be_visible()
        # The stylesheet applied: the header bar has its colour.
        colour = page.evaluate("getComputedStyle(document.querySelector('header'))"
                               ".backgroundColor")
        assert colour == "rgb(18, 49, 79)", (path, colour)
    assert not refused, refused
    page.goto(f"{site.url}/ui/phu-song")
    expect(page.locator("meter.bar").first).to_be_visible()
