"""Rights in the web UI, on SQLite and PostgreSQL: an editor changes only what its group (or a
group below it) owns and sees the rest read-only; refusals are 403 with a Vietnamese sentence
and are written to the audit log; codes in forms follow the one code syntax (400)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import APIResponse, Browser, Page, expect
from sqlalchemy import func, select

from broadcaster.app import App
from broadcaster.db import Document, DocumentRevision, Entry, Programme, Publication
from broadcaster.db.models import AuditEvent
from tests.conftest import EXAMPLE
from tests.helpers import SCHEDULE
from tests.ui.conftest import PASSWORD, csrf_of, sign_in_page


def as_user(browser: Browser, url: str, name: str) -> Page:
    """``name`` signed in, in a browser context of its own."""
    return sign_in_page(browser.new_context(locale="vi-VN").new_page(), url, name)


def refusals(app: App, user: str) -> list[tuple[str, str]]:
    with app.sessions() as session:
        return [(e.subject, e.detail) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.user_name == user,
                                     AuditEvent.action == "bị từ chối").order_by(AuditEvent.id))]


def programme(page: Page, url: str, code: str, title: str, text: str = "Chào bà con.") -> APIResponse:
    page.goto(f"{url}/ui/chuong-trinh")
    return page.request.post(f"{url}/ui/chuong-trinh", form={
        "csrf": csrf_of(page), "code": code, "title": title, "kind": "text", "value": text})


def test_shared_programmes(site, browser: Browser, app: App) -> None:  # type: ignore[no-untyped-def]
    """The incident: an editor of BS-TANTIEN saved a province-wide programme. Now a shared
    programme belongs to a group (or the admins), and only that group and the groups above
    it change it."""
    site.cli("programme", "add", "thoi-su-chung", "--title", "Thời sự chung",
             "--item", "jingle:mo-dau")                      # admins only (no owner)
    for name, group in (("tantien", "BS-TANTIEN"), ("hoaloc", "BS-HOALOC"), ("xa", "BS-XA")):
        site.user(name, "editor", group)
    site.user("tinh", "admin")
    tantien = as_user(browser, site.url, "tantien")

    tantien.goto(f"{site.url}/ui/chuong-trinh/thoi-su-chung")
    expect(tantien.locator("#programme-form")).to_have_count(0)
    expect(tantien.locator("#read-only")).to_contain_text("quản trị viên")
    answer = programme(tantien, site.url, "thoi-su-chung", "Đổi tên")
    assert answer.status == 403
    assert "không được sửa chương trình thoi-su-chung" in answer.text()
    answer = programme(tantien, site.url, "tt-rieng", "Tin riêng Tân Tiến")
    assert answer.ok and "Đã thêm chương trình tt-rieng" in answer.text()

    hoaloc = as_user(browser, site.url, "hoaloc")
    answer = programme(hoaloc, site.url, "tt-rieng", "Của Hòa Lộc")
    assert answer.status == 403
    hoaloc.goto(f"{site.url}/ui/chuong-trinh")
    expect(hoaloc.locator("tr", has_text="tt-rieng")).to_contain_text("nhóm BS-TANTIEN")
    expect(hoaloc.locator("tr", has_text="tt-rieng")).to_contain_text("chỉ xem")
    xa = as_user(browser, site.url, "xa")                # the group above may
    answer = programme(xa, site.url, "tt-rieng", "Tin riêng (xã sửa)")
    assert answer.ok and "Đã sửa chương trình tt-rieng" in answer.text()
    # The schedule files' programmes are changed in the files, even by an admin.
    tinh = as_user(browser, site.url, "tinh")
    answer = programme(tinh, site.url, "ban-tin", "Bản tin")
    assert answer.status == 409 and "tệp lịch" in answer.text()
    answer = programme(tinh, site.url, "thoi-su-chung", "Thời sự chung (mới)")
    assert answer.ok

    with app.sessions() as session:
        rows = {p.code: p for p in session.scalars(select(Programme))}
    assert (rows["tt-rieng"].owner_group, rows["tt-rieng"].origin) == ("BS-TANTIEN", "ui")
    assert rows["tt-rieng"].title == "Tin riêng (xã sửa)"
    assert rows["thoi-su-chung"].title == "Thời sự chung (mới)"
    assert rows["ban-tin"].title == "Bản tin sáng"
    assert [s for s, _ in refusals(app, "tantien")] == ["chương trình thoi-su-chung"]
    assert [s for s, _ in refusals(app, "hoaloc")] == ["chương trình tt-rieng"]


def test_shared_documents_and_readings(site, browser: Browser, app: App) -> None:  # type: ignore[no-untyped-def]
    """An editor cannot upload a new revision of a shared document nor add a province-wide
    "đọc là" reading; its own new documents belong to its group."""
    site.cli("docs", "add", str(EXAMPLE))
    site.user("tantien", "editor", "BS-TANTIEN")
    page = as_user(browser, site.url, "tantien")
    with app.sessions() as session:
        shared = session.scalar(select(Document).where(Document.key == "nghi-quyet-tom-tat"))
        assert shared is not None and shared.owner_group is None
        shared_id = shared.id
    changed = "---\nkey: nghi-quyet-tom-tat\ntitle: Bản đã sửa\n---\nNội dung khác hẳn.\n"
    answer = page.request.post(f"{site.url}/ui/van-ban", multipart={
        "csrf": csrf_of(page), "file": {"name": "sua.md", "mimeType": "text/markdown",
                                        "buffer": changed.encode()}})
    assert answer.status == 403
    assert "không được tải phiên bản mới của văn bản nghi-quyet-tom-tat" in answer.text()
    answer = page.request.post(f"{site.url}/ui/van-ban", multipart={
        "csrf": csrf_of(page), "file": {"name": "tin-tan-tien.txt", "mimeType": "text/plain",
                                        "buffer": "Thông báo của xã Tân Tiến.\n".encode()}})
    assert answer.ok and "Đã lưu văn bản tin-tan-tien" in answer.text()
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DocumentRevision)
                              .where(DocumentRevision.document_id == shared_id)) == 1
        assert session.scalar(select(Document.owner_group)
                              .where(Document.key == "tin-tan-tien")) == "BS-TANTIEN"

    page.goto(f"{site.url}/ui/van-ban/{shared_id}")
    expect(page.locator("#owner")).to_contain_text("quản trị viên")
    expect(page.locator("#docla")).to_have_count(0)
    expect(page.locator("#readings-admin")).to_be_visible()
    answer = page.request.post(f"{site.url}/ui/van-ban/{shared_id}/doc-la", form={
        "csrf": csrf_of(page), "written": "Bình Sơn", "spoken": "Bình Sơn thân yêu"})
    assert answer.status == 403 and "chỉ quản trị viên" in answer.text()
    assert not (app.config.home / "lexicon-ui.tsv").exists()
    assert [s for s, _ in refusals(app, "tantien")] == ["văn bản nghi-quyet-tom-tat",
                                                        "cách đọc Bình Sơn"]


def test_every_post_checks_its_object(site, browser: Browser, app: App) -> None:  # type: ignore[no-untyped-def]
    """Publishing, rolling back, entries made by announce or by the files, viewers."""
    site.cli("groups", "add", "BS-MOI", "--name", "Xã mới", "--parent", "BS-XA")
    made = site.cli("announce", "Bà con chú ý: nước sông đang lên.", "--to", "BS-TANTIEN",
                    "--at", "2030-03-04 08:00", "--priority", "emergency",
                    "--here").stdout.strip()
    site.user("moi", "editor", "BS-MOI")
    site.user("xem", "viewer")
    site.user("tinh", "admin")
    with app.sessions() as session:
        publications = session.scalar(select(func.count()).select_from(Publication))

    moi = as_user(browser, site.url, "moi")
    moi.goto(f"{site.url}/ui/xuat-ban")
    answer = moi.request.post(f"{site.url}/ui/xuat-ban", form={"csrf": csrf_of(moi)})
    assert answer.status == 403 and "chưa có đài nào" in answer.text()
    answer = moi.request.post(f"{site.url}/ui/xuat-ban/1/khoi-phuc", form={"csrf": csrf_of(moi)})
    assert answer.status == 403 and "Chỉ quản trị viên" in answer.text()
    xem = as_user(browser, site.url, "xem")
    answer = xem.request.post(f"{site.url}/ui/xuat-ban", form={"csrf": csrf_of(xem)})
    assert answer.status == 403 and "chỉ xem" in answer.text()
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == publications

    tinh = as_user(browser, site.url, "tinh")
    tinh.goto(f"{site.url}/ui/lich-phat")
    row = tinh.locator("#entries tr", has_text=f"thong-bao-{made}")
    expect(row).to_contain_text("thông báo")
    expect(row.get_by_role("button", name="Xóa")).to_have_count(0)
    answer = tinh.request.post(f"{site.url}/ui/lich-phat/xoa",
                               form={"csrf": csrf_of(tinh), "code": f"thong-bao-{made}"})
    assert answer.status == 409 and "hủy thông báo" in answer.text()
    answer = tinh.request.post(f"{site.url}/ui/lich-phat",
                               form={"csrf": csrf_of(tinh), "code": "sang", "programme": "ban-tin",
                                     "target": "BS", "start_at": "2030-01-01T08:00"})
    assert answer.status == 409 and "tệp lịch" in answer.text()
    answer = tinh.request.post(f"{site.url}/ui/lich-phat/xoa",
                               form={"csrf": csrf_of(tinh), "code": "lu"})
    assert answer.ok and "lần chạy “schedule apply” tới sẽ thêm lại" in answer.text()
    with app.sessions() as session:
        codes = set(session.scalars(select(Entry.code)))
    assert f"thong-bao-{made}" in codes and "sang" in codes and "lu" not in codes
    assert [s for s, _ in refusals(app, "moi")] == ["xuất bản", "bản 1"]
    assert [s for s, _ in refusals(app, "xem")] == ["/ui/xuat-ban"]


@pytest.fixture
def unpublished(serve, cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The small province applied but never published, served; ``.user(name, role, group)``."""
    path = tmp_path / "tinh.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    url = str(serve().base_url).rstrip("/")

    def user(name: str, role: str, group: str) -> None:
        cli("users", "add", name, "--role", role, "--group", group,
            "--password-file", str(password))

    cli.url, cli.user = url, user
    return cli


def test_an_editor_does_not_make_the_first_publication(unpublished, browser: Browser,  # type: ignore[no-untyped-def]
                                                       app: App) -> None:
    """With no publication in force, a partial publication plans every station: an editor of
    one commune would publish the whole province."""
    unpublished.user("tantien", "editor", "BS-TANTIEN")
    page = as_user(browser, unpublished.url, "tantien")
    page.goto(f"{unpublished.url}/ui/xuat-ban")
    answer = page.request.post(f"{unpublished.url}/ui/xuat-ban", form={"csrf": csrf_of(page)})
    assert answer.status == 403 and "quản trị viên xuất bản lần đầu" in answer.text()
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 0


def test_codes_in_forms(site, browser: Browser, app: App) -> None:  # type: ignore[no-untyped-def]
    """Entry, programme and document codes in forms: 400 with a Vietnamese sentence."""
    site.user("tinh", "admin")
    page = as_user(browser, site.url, "tinh")
    for bad in ("../../x", "a@b", "<script>alert(1)</script>", "a\nb"):
        page.goto(f"{site.url}/ui/lich-phat")
        answer = page.request.post(f"{site.url}/ui/lich-phat", form={
            "csrf": csrf_of(page), "code": bad, "programme": "ban-tin",
            "target": "BS-TANTIEN", "start_at": "2030-01-01T08:00"})
        assert answer.status == 400 and "Mã mục lịch" in answer.text(), bad
        assert "<script>" not in answer.text()
        answer = programme(page, site.url, bad, "X")
        assert answer.status == 400 and "Mã chương trình" in answer.text()
        front = f"---\nkey: {json.dumps(bad)}\n---\nThông báo.\n"
        answer = page.request.post(f"{site.url}/ui/van-ban", multipart={
            "csrf": csrf_of(page), "file": {"name": "thong-bao.md", "mimeType": "text/markdown",
                                            "buffer": front.encode()}})
        assert answer.status == 400 and "Mã văn bản" in answer.text(), bad
    answer = page.request.post(f"{site.url}/ui/lich-phat", form={
        "csrf": csrf_of(page), "code": "ok", "document": "abc", "target": "BS-TANTIEN",
        "start_at": "2030-01-01T08:00"})
    assert answer.status == 400 and "hãy chọn một văn bản" in answer.text()
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Entry)
                              .where(Entry.code.not_in(["sang", "chieu", "lu"]))) == 0
        assert session.scalar(select(func.count()).select_from(Programme)) == 2
        assert session.scalar(select(func.count()).select_from(Document)) == 0
