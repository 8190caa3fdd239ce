"""The stations page reads what the stations' heartbeats report."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect

from broadcaster.reports import Heartbeat, record_report
from tests.ui.conftest import shot


def test_heartbeat_playing_and_media_ready(site, sign_in, app, database_url) -> None:  # type: ignore[no-untyped-def]
    name = "pg" if database_url.startswith("postgresql") else "sqlite"
    started = datetime(2030, 3, 4, 23, 0, 5, tzinfo=UTC)   # 06:00:05 in Việt Nam
    record_report(app.sessions, "TANTIEN-01", Heartbeat(
        agent_version="1.0", publication=1, playing={
            "item": "lu@20300304T230005Z#1.1", "title": "Thông báo khẩn", "source": "media",
            "started_at": started.isoformat(), "media_ready": 3, "media_total": 4}), [])
    record_report(app.sessions, "HOALOC-01", Heartbeat(agent_version="1.0", publication=1), [])
    site.user("xem", "viewer")
    page = sign_in("xem")
    page.get_by_role("link", name="Đài xã").click()
    rows = page.locator("tbody tr")
    # Never seen first (offline would be above it), then the online ones by code.
    expect(rows.nth(0)).to_contain_text("PTTH-BS")
    expect(rows.nth(0)).to_contain_text("chưa báo về")
    tantien = page.locator("tr", has_text="TANTIEN-01")
    expect(tantien.locator(".playing")).to_have_text("Thông báo khẩn (từ 06:00)")
    expect(tantien.locator(".media-ready")).to_have_text("3/4 tệp")
    expect(tantien).to_contain_text("trực tuyến")
    hoaloc = page.locator("tr", has_text="HOALOC-01")
    expect(hoaloc.locator(".playing")).to_have_text("—")
    expect(hoaloc.locator(".media-ready")).to_have_text("—")   # its heartbeat does not say
    shot(page, "dai-xa-nhip", name)


def test_media_ready_text() -> None:
    from broadcaster.web.ui._stations import media_ready_text

    assert media_ready_text(None) == "—"
    assert media_ready_text({"item": "x"}) == "—"
    assert media_ready_text({"media_ready": True}) == "đủ tệp"
    assert media_ready_text({"media_ready": False}) == "còn thiếu tệp"
    assert media_ready_text({"media_ready": 4, "media_total": 4}) == "đủ tệp"
    assert media_ready_text({"media_ready": 2}) == "—"
