"""The operators' web UI in a real browser (Chromium), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.conftest import EXAMPLE
from tests.ui.conftest import audio_duration, csrf_of, shot

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def test_operator_week(site, sign_in, database_url) -> None:  # type: ignore[no-untyped-def]
    """Sign in, upload a summary, hear it, fix a reading, schedule it for a group, publish,
    and see the coverage table; a screenshot of every page."""
    name = "pg" if database_url.startswith("postgresql") else "sqlite"
    site.user("tinh", "admin")
    page = sign_in("tinh")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    page.get_by_label("Tải lên bản tóm tắt").set_input_files(str(EXAMPLE))
    page.get_by_role("button", name="Tải lên và đọc").click()
    page.wait_for_url(re.compile(r"/ui/van-ban/\d+$"))
    expect(page.locator(".flash")).to_contain_text("Đã lưu văn bản nghi-quyet-tom-tat")
    expect(page.get_by_role("heading", name="Văn bản sẽ đọc")).to_be_visible()
    duration = audio_duration(page, "clip")
    assert duration > 10, duration
    shot(page, "van-ban", name)

    page.get_by_label("Chữ viết").fill("Bình Sơn")
    page.get_by_label("đọc là").fill("Bình Sơn thân yêu")
    page.get_by_role("button", name="Thêm và nghe lại").click()
    expect(page.locator(".flash")).to_contain_text("đọc là “Bình Sơn thân yêu”")
    expect(page.locator("pre.text").nth(1)).to_contain_text("Bình Sơn thân yêu")
    expect(page.locator("audio")).to_have_count(2)   # before and after: hear the difference

    page.get_by_role("link", name="Lịch phát").click()
    when = (datetime.now(LOCAL) + timedelta(days=1)).replace(hour=8, minute=0)
    page.get_by_label("Mã mục (trùng mã là sửa mục cũ)").fill("nq57-xa")
    page.get_by_label("Văn bản", exact=True).select_option(index=1)
    page.get_by_label("Phát cho").select_option("BS-XA")
    page.get_by_label("Phát một lần lúc").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Lưu (bản nháp)").click()
    expect(page.locator(".flash")).to_contain_text("Đã thêm mục lịch")
    page.goto(f"{site.url}/ui/lich-phat?week={when.date().isoformat()}")
    expect(page.locator(".slot", has_text="08:00")).to_have_count(1)
    expect(page.locator(".slot", has_text="08:00")).to_contain_text("nghi-quyet-tom-tat")
    shot(page, "lich-phat", name)

    page.get_by_role("link", name="Xuất bản").click()
    expect(page.locator("table").first).to_contain_text("TANTIEN-01")
    shot(page, "xuat-ban-truoc", name)
    page.get_by_role("button", name="Xuất bản").click()
    expect(page.locator(".flash")).to_contain_text("Đã xuất bản bản số 2")
    shot(page, "xuat-ban", name)

    page.get_by_role("link", name="Phủ sóng").click()
    groups = page.locator("#coverage-groups")
    expect(groups).to_contain_text("Các xã")
    expect(groups).to_contain_text("Tổng: tất cả các đài")
    expect(page.locator("#coverage-stations")).to_contain_text("TANTIEN-01")
    shot(page, "phu-song", name)

    for link, file in (("Đài xã", "dai-xa"), ("Chương trình", "chuong-trinh"),
                       ("Thông báo khẩn", "thong-bao")):
        page.get_by_role("link", name=link).click()
        shot(page, file, name)
    page.get_by_label("Nội dung").fill("Bà con chú ý: nước sông đang lên.")
    page.get_by_label("Phát cho").select_option("BS-TANTIEN")
    page.get_by_label("Mức ưu tiên").select_option("emergency")
    page.get_by_role("button", name="Phát thông báo").click()
    expect(page.get_by_role("alert")).to_contain_text("thông báo khẩn cấp")
    page.get_by_role("button", name="Xác nhận phát khẩn cấp").click()
    expect(page.locator(".flash")).to_contain_text("Đã phát thông báo số 1 tới 1 đài")

    page.get_by_role("link", name="Nhật ký").click()
    log = page.locator("table")
    for action in ("tải văn bản lên", "thêm cách đọc", "sửa lịch phát", "xuất bản",
                   "phát thông báo"):
        expect(log).to_contain_text(action)
    shot(page, "nhat-ky", name)

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/ui/dang-nhap")
    shot(page, "dang-nhap", name)
    page.goto(f"{site.url}/ui/lich-phat")
    page.wait_for_url("**/ui/dang-nhap")


def test_viewer_cannot_edit(site, sign_in) -> None:  # type: ignore[no-untyped-def]
    site.user("xem", "viewer")
    page = sign_in("xem")
    expect(page.get_by_label("Tải lên bản tóm tắt")).to_have_count(0)
    page.get_by_role("link", name="Lịch phát").click()
    expect(page.locator("#entry-form")).to_have_count(0)
    answer = page.request.post(f"{site.url}/ui/lich-phat", form={
        "csrf": csrf_of(page), "code": "x", "programme": "ban-tin", "target": "BS",
        "start_at": "2030-01-01T08:00"})
    assert answer.status == 403
    assert "chỉ xem" in answer.text()
    answer = page.request.post(f"{site.url}/ui/xuat-ban", form={"csrf": csrf_of(page)})
    assert answer.status == 403


def test_editor_stays_in_its_group(site, sign_in) -> None:  # type: ignore[no-untyped-def]
    site.user("tantien", "editor", "BS-TANTIEN")
    page = sign_in("tantien")
    page.get_by_role("link", name="Lịch phát").click()
    options = page.locator("#target option").all_inner_texts()
    assert any("TANTIEN-01" in o for o in options)
    assert not any("HOALOC" in o or "(BS-XA)" in o for o in options)
    form = {"csrf": csrf_of(page), "code": "hl", "programme": "ban-tin",
            "target": "HOALOC-01", "start_at": "2030-01-01T08:00"}
    assert page.request.post(f"{site.url}/ui/lich-phat", form=form).status == 403
    # Nor may it change or remove an entry of a wider group ("chieu" is for BS-XA).
    answer = page.request.post(f"{site.url}/ui/lich-phat/xoa",
                               form={"csrf": csrf_of(page), "code": "chieu"})
    assert answer.status == 403
    # Its own group is fine.
    form |= {"code": "tt", "target": "TANTIEN-01"}
    answer = page.request.post(f"{site.url}/ui/lich-phat", form=form)
    assert answer.ok and "Đã thêm mục lịch" in answer.text()


def test_forged_form_is_refused(site, sign_in) -> None:  # type: ignore[no-untyped-def]
    site.user("tinh", "admin")
    page = sign_in("tinh")
    form = {"code": "gia", "programme": "ban-tin", "target": "BS",
            "start_at": "2030-01-01T08:00"}
    answer = page.request.post(f"{site.url}/ui/lich-phat", form=form)
    assert answer.status == 403
    assert "CSRF" in answer.text()
    answer = page.request.post(f"{site.url}/ui/lich-phat", form=form | {"csrf": "gia-mao"})
    assert answer.status == 403
    page.goto(f"{site.url}/ui/lich-phat")
    expect(page.get_by_role("cell", name="gia", exact=True)).to_have_count(0)
