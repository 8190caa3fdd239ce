"""Every form field and query parameter of the web UI with values nobody should send
(huge numbers, years 1 and 9999, NUL, 3,000 characters, codes with '/' or '@'): each gets a
4xx or a page with a message, never a 500 (SQLite and PostgreSQL: PostgreSQL refuses NUL
characters and over-long text, SQLite does not)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from broadcaster.web import WebSettings
from tests.web.conftest import csrf_of, sign_in

NASTY = ["", "abc", "-1", "0", "2147483648", "9223372036854775808", "9" * 5000, "1e309",
         "nan", "0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "25:61",
         "a\x00b", "../../x", "<script>x</script>", "a@b", "x" * 3000, "Tân Tiến", " \n"]
# Values cheap routes get; the routes that speak or publish when a form is valid get those
# that cannot be valid for the field at hand.
NOT_A_NUMBER = ["abc", "-1", "9223372036854775808", "9" * 5000, "1e309", "a\x00b", "x" * 3000]
NOT_A_TIME = ["abc", "0001-01-01T00:00", "9999-12-31T23:59", "25:61", "a\x00b", "x" * 3000]


@pytest.fixture
def admin(province, serve, tmp_path) -> httpx.Client:  # type: ignore[no-untyped-def]
    password = tmp_path / "password.txt"
    password.write_text("mat-khau-thu-nghiem\n", encoding="utf-8")
    province("users", "add", "tinh", "--role", "admin", "--password-file", str(password))
    short = tmp_path / "thu.txt"   # a short document: speaking it takes a moment
    short.write_text("Xin chào bà con.\n", encoding="utf-8")
    province("docs", "add", str(short))
    client = serve(WebSettings(signin_refusal_delay_s=0))
    assert sign_in(client, "tinh").status_code == 303
    client.csrf = csrf_of(client.get("/ui/van-ban").text)
    return client


def send(client: httpx.Client, method: str, url: str, **kwargs: object) -> None:
    """One request; a 5xx (or a dropped connection) fails the test, naming the request."""
    url = quote(url, safe="/:?=&%")
    try:
        answer = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.TransportError as exc:
        pytest.fail(f"{method} {url[:120]} {str(kwargs)[:300]}: {exc!r}")
    assert answer.status_code < 500, f"{method} {url[:120]} {str(kwargs)[:300]}: " \
                                     f"{answer.status_code}"


def test_no_form_field_nor_query_gives_500(admin: httpx.Client) -> None:
    """One signed-in admin, every page (one test: setting the province up is the slow part)."""
    queries_and_paths(admin)
    schedule_form(admin)
    announcement_form(admin)
    programme_reading_upload_and_sign_in_forms(admin)


def queries_and_paths(admin: httpx.Client) -> None:
    for value in NASTY:
        send(admin, "GET", "/ui/lich-phat", params={"target": value})
        send(admin, "GET", "/ui/lich-phat", params={"week": value})
        for name in ("since", "until", "programme", "group"):
            send(admin, "GET", "/ui/phu-song", params={name: value})
        if value.strip() and "/" not in value:
            segment = quote(value, safe="")
            send(admin, "GET", f"/ui/van-ban/{segment}")
            send(admin, "GET", f"/ui/chuong-trinh/{segment}")
            send(admin, "POST", f"/ui/xuat-ban/{segment}/khoi-phuc", data={"csrf": admin.csrf})  # type: ignore[attr-defined]
            send(admin, "POST", f"/ui/chuong-trinh/{segment}/nghe", data={"csrf": admin.csrf})  # type: ignore[attr-defined]
    for value in NOT_A_NUMBER:
        segment = quote(value, safe="")
        send(admin, "POST", f"/ui/van-ban/{segment}/doc", data={"csrf": admin.csrf})  # type: ignore[attr-defined]
        send(admin, "POST", f"/ui/van-ban/{segment}/doc-la",
             data={"csrf": admin.csrf, "written": "x", "spoken": "y"})  # type: ignore[attr-defined]


def schedule_form(admin: httpx.Client) -> None:
    base = {"csrf": admin.csrf, "code": "fz", "target": "TANTIEN-01",  # type: ignore[attr-defined]
            "priority": "normal", "programme": "ban-tin", "start_at": "2030-01-01T08:00"}
    for field in ("code", "target", "priority", "programme", "days"):
        for value in NASTY:
            send(admin, "POST", "/ui/lich-phat", data=base | {field: value})
    for value in [*NOT_A_NUMBER, "abc"]:   # the example: document=abc
        send(admin, "POST", "/ui/lich-phat", data=base | {"programme": "", "document": value})
    for value in NOT_A_TIME:
        send(admin, "POST", "/ui/lich-phat", data=base | {"start_at": value})
        send(admin, "POST", "/ui/lich-phat", data=base | {"days": "MO", "time": value})
    for value in NASTY:
        send(admin, "POST", "/ui/lich-phat/xoa", data={"csrf": admin.csrf, "code": value})  # type: ignore[attr-defined]
    refused = admin.post("/ui/lich-phat", data=base | {"programme": "", "document": "abc"})
    assert refused.status_code == 400 and "hãy chọn một văn bản" in refused.text


def announcement_form(admin: httpx.Client) -> None:
    base = {"csrf": admin.csrf, "text": "Thử", "target": "TANTIEN-01",  # type: ignore[attr-defined]
            "at": "2030-01-01T08:00", "priority": "normal", "repeat": "1", "every": ""}
    for value in NASTY:
        send(admin, "POST", "/ui/thong-bao", data=base | {"target": value})
        if value not in ("normal", "high"):
            send(admin, "POST", "/ui/thong-bao", data=base | {"priority": value})
    for value in NOT_A_TIME:
        send(admin, "POST", "/ui/thong-bao", data=base | {"at": value})
    for value in [*NOT_A_NUMBER, "0", "1000000"]:
        send(admin, "POST", "/ui/thong-bao", data=base | {"repeat": value})
        send(admin, "POST", "/ui/thong-bao", data=base | {"repeat": "2", "every": value})


def programme_reading_upload_and_sign_in_forms(admin: httpx.Client) -> None:
    csrf = admin.csrf  # type: ignore[attr-defined]
    base = {"csrf": csrf, "code": "p1", "title": "t", "kind": "text", "value": "xin chào"}
    for value in NASTY:
        for field in ("code", "title", "kind"):
            send(admin, "POST", "/ui/chuong-trinh", data=base | {field: value})
        send(admin, "POST", "/ui/chuong-trinh", data=base | {"kind": "silence", "value": value})
        send(admin, "POST", "/ui/chuong-trinh", data=base | {"kind": "relay", "value": value})
        send(admin, "POST", "/ui/van-ban", data={"csrf": csrf},
             files={"file": (value or "x", b"xin chao")})
    for value in ("a\x00b", "x" * 3000, "9" * 5000, "../../x", "<script>", "Tân Tiến"):
        send(admin, "POST", "/ui/van-ban", data={"csrf": csrf},
             files={"file": (value + ".txt", b"xin chao")})
    for value in [*NOT_A_NUMBER, "", "\t"]:
        send(admin, "POST", "/ui/van-ban/1/doc-la",
             data={"csrf": csrf, "written": value, "spoken": "y"})
        send(admin, "POST", "/ui/van-ban/1/doc-la",
             data={"csrf": csrf, "written": "HĐND", "spoken": value})
    for value in ("a\x00b", "x" * 3000):
        send(admin, "POST", "/ui/xuat-ban", data={"csrf": csrf, "note": value})
    for value in ("", "a\x00b", "x" * 3000, "9" * 5000, "<script>"):   # each one hashes
        send(admin, "POST", "/ui/dang-nhap", data={"csrf": csrf, "name": value, "password": "x"})
        send(admin, "POST", "/ui/dang-nhap", data={"csrf": csrf, "name": "tinh",
                                                   "password": value * 300})
