"""Signing in to the web UI over a real socket (SQLite and PostgreSQL): lockouts by user name
and by client address, the bounded password pool, and sessions that end on sign-out,
password change and role change."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from broadcaster.web import WebSettings
from broadcaster.web._limits import Busy, PasswordPool
from tests.helpers import run_async
from tests.web.conftest import PASSWORD, csrf_of, sign_in

NEW_PASSWORD = "mat-khau-moi-hoan-toan"


def signed_in(client: httpx.Client) -> bool:
    """Whether the client's session still opens a page (else: 303 to the sign-in page)."""
    answer = client.get("/ui/van-ban")
    assert answer.status_code in (200, 303), answer.status_code
    return answer.status_code == 200


def another(client: httpx.Client, address: str = "127.0.0.1") -> httpx.Client:
    """A second browser (its own cookies) on the same server, from ``address``."""
    return httpx.Client(base_url=client.base_url, timeout=client.timeout,
                        transport=httpx.HTTPTransport(local_address=address))


@pytest.fixture
def users(province, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``users(name, role, group=None)``: add a web UI user with PASSWORD."""
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")

    def add(name: str, role: str = "admin", group: str | None = None) -> str:
        province("users", "add", name, "--role", role, "--password-file", str(password_file),
                 *(["--group", group] if group else []))
        return name

    add.cli = province  # type: ignore[attr-defined]
    add.folder = tmp_path  # type: ignore[attr-defined]
    return add


def test_wrong_passwords_lock_the_user_out(users, serve) -> None:  # type: ignore[no-untyped-def]
    """30 wrong passwords, then the right one: refused (429) while locked, with a message;
    another user from the same address is not affected."""
    users("tinh")
    users("xa", "viewer")
    client = serve(WebSettings(signin_user_failures=5, signin_lock_s=60,
                               signin_refusal_delay_s=0))
    statuses = [sign_in(client, "tinh", "sai-mat-khau").status_code for _ in range(30)]
    assert statuses[:6] == [401] * 6 and statuses[6:] == [429] * 24
    right = sign_in(client, "tinh")
    assert right.status_code == 429
    assert "thử lại sau" in right.text and int(right.headers["retry-after"]) > 50
    assert not signed_in(client)
    with another(client) as other:
        assert sign_in(other, "xa").status_code == 303 and signed_in(other)


def test_the_lock_runs_out_and_a_right_password_resets_it(users, serve) -> None:  # type: ignore[no-untyped-def]
    users("tinh")
    client = serve(WebSettings(signin_user_failures=2, signin_lock_s=0.5,
                               signin_refusal_delay_s=0))
    assert [sign_in(client, "tinh", "sai").status_code for _ in range(3)] == [401, 401, 401]
    assert sign_in(client, "tinh").status_code == 429
    time.sleep(0.7)
    assert sign_in(client, "tinh").status_code == 303 and signed_in(client)


def test_wrong_passwords_lock_the_address_out(users, serve) -> None:  # type: ignore[no-untyped-def]
    """Guessing many names from one address locks that address, not the others."""
    users("tinh")
    client = serve(WebSettings(signin_address_failures=4, signin_lock_s=60,
                               signin_refusal_delay_s=0))
    statuses = [sign_in(client, f"ai-{i}", "sai").status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    assert sign_in(client, "tinh").status_code == 429
    with another(client, "127.0.0.2") as elsewhere:
        assert sign_in(elsewhere, "tinh").status_code == 303 and signed_in(elsewhere)


def test_a_full_password_pool_answers_503_at_once(users, serve) -> None:  # type: ignore[no-untyped-def]
    """While every password worker and waiting slot is taken, a sign-in is refused at once
    (503, Vietnamese, Retry-After) instead of queueing; then it works again."""
    users("tinh")
    client = serve(WebSettings(password_workers=1, password_queue=0))
    pool = client.api.state.signin.passwords
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(30)

    holder = threading.Thread(target=lambda: asyncio.run(pool.run(hold)))
    holder.start()
    assert started.wait(10)
    try:
        begun = time.monotonic()
        busy = sign_in(client, "tinh")
        assert busy.status_code == 503 and time.monotonic() - begun < 5
        assert "đang bận" in busy.text and busy.headers["retry-after"] == "5"
    finally:
        release.set()
        holder.join(10)
    assert sign_in(client, "tinh").status_code == 303


def test_refusals_wait_before_their_answer(users, serve) -> None:  # type: ignore[no-untyped-def]
    """A refused sign-in is answered after a delay that costs the server nothing, so that a
    script trying as fast as it is answered tries less often; a right password is not."""
    users("tinh")
    client = serve(WebSettings(signin_refusal_delay_s=1.5))
    page = client.get("/ui/dang-nhap")
    begun = time.monotonic()
    wrong = client.post("/ui/dang-nhap", data={"csrf": csrf_of(page.text), "name": "tinh",
                                               "password": "sai-mat-khau"})
    assert wrong.status_code == 401 and time.monotonic() - begun >= 1.5
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text


def test_password_pool_is_bounded() -> None:
    pool = PasswordPool(workers=1, queue=1)
    gate = threading.Event()

    async def run() -> list[object]:
        first = asyncio.ensure_future(pool.run(gate.wait, 10))
        second = asyncio.ensure_future(pool.run(gate.wait, 10))
        await asyncio.sleep(0.1)
        with pytest.raises(Busy):
            await pool.run(gate.wait, 10)
        gate.set()
        return [await first, await second, await pool.run(lambda: "tiếp")]

    try:
        assert run_async(run()) == [True, True, "tiếp"]
    finally:
        pool.shutdown()


def test_sign_out_ends_every_session_of_the_user(users, serve) -> None:  # type: ignore[no-untyped-def]
    users("tinh")
    client = serve()
    with another(client) as laptop, another(client) as phone:
        assert sign_in(laptop, "tinh").status_code == 303
        assert sign_in(phone, "tinh").status_code == 303
        old_cookie = dict(laptop.cookies)
        assert signed_in(laptop) and signed_in(phone)
        page = laptop.get("/ui/van-ban")
        out = laptop.post("/ui/dang-xuat", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303
        assert not signed_in(laptop)
        ended = phone.get("/ui/van-ban")
        assert ended.status_code == 303 and ended.headers["location"] == "/ui/dang-nhap"
        assert "Phiên đăng nhập đã kết thúc" in phone.get("/ui/dang-nhap").text
        # A cookie kept from before the sign-out opens nothing either.
        with another(client) as thief:
            thief.cookies.update(old_cookie)
            assert not signed_in(thief)
        assert sign_in(phone, "tinh").status_code == 303 and signed_in(phone)


@pytest.mark.parametrize("change", ["password", "role", "signout"])
def test_cli_changes_end_sessions(users, serve, change: str) -> None:  # type: ignore[no-untyped-def]
    users("xa", "editor", "BS-TANTIEN")
    client = serve()
    assert sign_in(client, "xa").status_code == 303 and signed_in(client)
    new_password = users.folder / "new.txt"
    new_password.write_text(NEW_PASSWORD + "\n", encoding="utf-8")
    command = {"password": ["password", "xa", "--password-file", str(new_password)],
               "role": ["role", "xa", "--role", "viewer"],
               "signout": ["signout", "xa"]}[change]
    said = users.cli("users", *command).stdout
    assert "ended" in said
    assert not signed_in(client)
    if change == "password":
        assert sign_in(client, "xa").status_code == 401
        assert sign_in(client, "xa", NEW_PASSWORD).status_code == 303
    else:
        assert sign_in(client, "xa").status_code == 303
    assert signed_in(client)
    if change == "role":
        assert "chỉ xem" in client.get("/ui/van-ban").text


def test_cli_user_changes_refuse_bad_input(users) -> None:  # type: ignore[no-untyped-def]
    users("xa", "viewer")
    short = users.folder / "short.txt"
    short.write_text("ngan\n", encoding="utf-8")
    assert "at least 8" in users.cli("users", "password", "xa", "--password-file", str(short),
                                     code=1).stderr
    assert "no user 'khong-co'" in users.cli("users", "signout", "khong-co", code=1).stderr
    assert "needs --group" in users.cli("users", "role", "xa", "--role", "editor",
                                        code=1).stderr


def test_a_document_upload_may_be_larger_than_a_station_request(users, serve) -> None:  # type: ignore[no-untyped-def]
    # The body limit for station requests (256 KB) once refused every document over it in the
    # web UI, where documents up to max_document_bytes (2 MB) are accepted everywhere else.
    users("tinh")
    client = serve()
    assert sign_in(client, "tinh").status_code == 303
    page = client.get("/ui/van-ban")
    text = "Thông báo lịch tiêm chủng.\n" + " " * 400_000 + "\nHết.\n"
    answer = client.post("/ui/van-ban", data={"csrf": csrf_of(page.text)},
                         files={"file": ("tiem-chung.txt", text.encode(), "text/plain")})
    assert answer.status_code == 303 and "/ui/van-ban/" in answer.headers["location"]
    too_big = client.post("/ui/van-ban", data={"csrf": csrf_of(page.text)},
                          files={"file": ("lon.txt", b"x" * 2_100_000, "text/plain")})
    assert too_big.status_code == 413
    # Elsewhere the station limit holds.
    assert client.post("/ui/lich-phat", data={"csrf": csrf_of(page.text),
                                              "code": "x" * 300_000}).status_code == 413


def test_an_announcement_form_sent_twice_makes_one_announcement(users, serve, app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from broadcaster.db import Announcement

    users("tinh")
    client = serve()
    assert sign_in(client, "tinh").status_code == 303
    page = client.get("/ui/thong-bao")
    key = re.search(r'name="request_key" value="([^"]+)"', page.text)
    assert key, "the form carries a request key"
    form = {"csrf": csrf_of(page.text), "request_key": key.group(1), "text": "Mời bà con họp.",
            "target": "BS-TANTIEN", "priority": "normal", "at": "2030-01-01T08:00",
            "repeat": "1", "every": ""}
    first = client.post("/ui/thong-bao", data=form)
    again = client.post("/ui/thong-bao", data=form)   # a double click, a reload
    assert first.status_code == again.status_code == 303
    assert "không phát thêm" in client.get(again.headers["location"]).text
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Announcement)) == 1
