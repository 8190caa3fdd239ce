"""The calendar shows conflicts as the resolver settles them (tests/publish SCHEDULE:
on Monday 2030-03-04 the emergency 'lu' pre-empts 'sang' at TANTIEN-01 at 06:00:05)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import csrf_of, shot

WEEK = "2030-03-04"


def test_preempted_and_delayed(site, sign_in, database_url) -> None:  # type: ignore[no-untyped-def]
    name = "pg" if database_url.startswith("postgresql") else "sqlite"
    site.user("tinh", "admin")
    page = sign_in("tinh")
    page.goto(f"{site.url}/ui/lich-phat?target=TANTIEN-01&week={WEEK}")
    monday = page.get_by_role("listitem", name="Thứ hai 04/03")
    sang = monday.locator(".slot", has_text="sang")
    expect(sang).to_have_class("slot normal conflict")
    expect(sang).to_contain_text("bị ngắt, phát tiếp lúc 06:00:")
    expect(sang).to_contain_text("TANTIEN-01")
    expect(monday.locator(".conflicts")).to_contain_text("06:00 sang bị ngắt vì lu")
    # Tuesday has no emergency: nothing marked.
    tuesday = page.get_by_role("listitem", name="Thứ ba 05/03")
    expect(tuesday.locator(".slot.conflict")).to_have_count(0)
    expect(page.locator("#resolver")).to_contain_text("cho 1 đài")

    # Hòa Lộc has no emergency; a second programme at 06:00 on Tuesday waits for 'sang'.
    page.goto(f"{site.url}/ui/lich-phat?target=HOALOC-01&week={WEEK}")
    expect(page.locator(".slot.conflict")).to_have_count(0)
    answer = page.request.post(f"{site.url}/ui/lich-phat", form={
        "csrf": csrf_of(page), "code": "trung", "programme": "khan-cap",
        "target": "HOALOC-01", "start_at": "2030-03-05T06:00"})
    assert answer.ok and "Đã thêm mục lịch" in answer.text()
    page.goto(f"{site.url}/ui/lich-phat?target=BS-XA&week={WEEK}")
    tuesday = page.get_by_role("listitem", name="Thứ ba 05/03")
    expect(tuesday.locator(".slot.conflict")).to_have_count(1)
    expect(tuesday.locator(".slot.conflict")).to_contain_text("phát muộn, bắt đầu lúc 06:00:")
    expect(tuesday.locator(".conflicts")).to_contain_text("phát muộn vì")
    expect(tuesday.locator(".conflicts")).to_contain_text("HOALOC-01")
    expect(page.locator("#resolver")).to_contain_text("cho 2 đài")
    shot(page, "lich-phat-xung-dot", name)
