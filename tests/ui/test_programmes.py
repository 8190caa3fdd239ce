"""Programmes in the browser: compose, save, hear; a viewer only reads."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import EXAMPLE
from tests.ui.conftest import audio_duration, csrf_of, shot


def test_compose_save_and_listen(site, sign_in, database_url) -> None:  # type: ignore[no-untyped-def]
    name = "pg" if database_url.startswith("postgresql") else "sqlite"
    site.cli("docs", "add", str(EXAMPLE))
    site.user("tinh", "admin")
    page = sign_in("tinh")
    page.get_by_role("link", name="Chương trình").click()
    page.get_by_label("Mã chương trình").fill("thoi-su-sang")
    page.get_by_label("Tên chương trình").fill("Thời sự buổi sáng")
    rows = [("jingle", "mo-dau"), ("document", "nghi-quyet-tom-tat"),
            ("text", "Xin cảm ơn bà con đã lắng nghe."), ("jingle", "tin-hieu-gio")]
    for index, (kind, value) in enumerate(rows, 1):
        page.get_by_label(f"Loại {index}", exact=True).select_option(kind)
        page.get_by_label(f"Nội dung {index}", exact=True).fill(value)
    page.get_by_role("button", name="Lưu chương trình").click()
    expect(page.locator(".flash")).to_contain_text("Đã thêm chương trình thoi-su-sang")
    expect(page.get_by_label("Nội dung 2", exact=True)).to_have_value("nghi-quyet-tom-tat")
    expect(page.locator("table")).to_contain_text("Thời sự buổi sáng")

    page.get_by_role("button", name="Nghe thử").click()
    expect(page.locator("#total")).to_contain_text("phút")
    total = page.locator("#total").inner_text()
    minutes, seconds = int(total.split(" phút")[0]), int(total.split("phút ")[1].split(" ")[0])
    heard = audio_duration(page, "programme-audio")
    assert heard > 10, heard   # jingle + the summary + text + tone, in one part
    assert abs(heard - (60 * minutes + seconds)) <= 1.5, (heard, total)
    shot(page, "chuong-trinh-nghe", name)

    page.get_by_role("link", name="Nhật ký").click()
    expect(page.locator("table")).to_contain_text("sửa chương trình")
    expect(page.locator("table")).to_contain_text("thoi-su-sang")


def test_bad_item_is_explained(site, sign_in) -> None:  # type: ignore[no-untyped-def]
    site.user("tinh", "admin")
    page = sign_in("tinh")
    page.goto(f"{site.url}/ui/chuong-trinh")
    answer = page.request.post(f"{site.url}/ui/chuong-trinh", form={
        "csrf": csrf_of(page), "code": "x", "title": "X", "kind": "silence",
        "value": "mot lat"})
    assert answer.ok
    assert "thành phần 1" in answer.text()
    answer = page.request.post(f"{site.url}/ui/chuong-trinh", form={
        "csrf": csrf_of(page), "code": "a/b", "title": "X", "kind": "text", "value": "Chào"})
    assert answer.status == 400 and "Mã chương trình" in answer.text()
    assert "không hợp lệ" in answer.text()


def test_viewer_reads_programmes_only(site, sign_in) -> None:  # type: ignore[no-untyped-def]
    site.user("xem", "viewer")
    page = sign_in("xem")
    page.get_by_role("link", name="Chương trình").click()
    expect(page.locator("#programme-form")).to_have_count(0)
    expect(page.locator("table")).to_contain_text("ban-tin")
    answer = page.request.post(f"{site.url}/ui/chuong-trinh", form={
        "csrf": csrf_of(page), "code": "x", "title": "X", "kind": "text", "value": "Chào"})
    assert answer.status == 403
