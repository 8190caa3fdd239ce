"""The station API against abuse and bad input, over a real socket (SQLite and PostgreSQL):
bounded rate-limit memory, codes checked before anything, huge Range numbers, report fields
the database cannot hold, NUL characters, hardening headers, no Host echo, the OpenAPI
document."""

from __future__ import annotations

import socket
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from broadcaster.db import StationStatus
from broadcaster.web import WebSettings
from broadcaster.web._http import parse_range
from broadcaster.web._limits import Lockout, RateLimiter
from tests.web.conftest import JSON, M3U8, REPORTS, bearer

EVIL = "evil.example"


def test_rate_limiter_memory_is_bounded() -> None:
    """100,000 distinct codes, each 64 characters (the longest valid), never more than
    max_keys buckets: about 2.5 MB here, measured."""
    limiter = RateLimiter(rate=10, burst=20, clock=lambda: 0.0, max_keys=10_000)
    deadline = time.monotonic() + 30   # the limiter runs on the event loop: it must be cheap
    tracemalloc.start()
    try:
        for i in range(100_000):
            limiter.take(f"{i:064d}")
            assert i % 1000 or time.monotonic() < deadline, f"only {i:,} keys in 30 s"
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(limiter) == 10_000
    assert used < 5_000_000, f"{used:,} bytes for 10,000 buckets"


def test_lockout_backs_off_exponentially_and_stays_bounded() -> None:
    now = [0.0]
    lock = Lockout(free=3, base_s=1, max_s=8, forget_s=100, max_keys=2, clock=lambda: now[0])
    assert [lock.failed("tinh") for _ in range(3)] == [0, 0, 0]
    assert lock.locked("tinh") == 0
    assert [lock.failed("tinh") for _ in range(5)] == [1, 2, 4, 8, 8]   # capped at max_s
    assert lock.locked("tinh") == 8
    now[0] = 8.5
    assert lock.locked("tinh") == 0          # the lock ran out; the count did not
    assert lock.failed("tinh") == 8
    now[0] = 200                             # no failure for forget_s: a fresh start
    assert lock.failed("tinh") == 0
    lock.forget("tinh")
    assert len(lock) == 0
    for key in ("a", "b", "c"):              # at most max_keys keys, oldest evicted
        lock.failed(key)
    assert len(lock) == 2


def test_station_codes_are_checked_before_any_bucket(province, serve) -> None:  # type: ignore[no-untyped-def]
    """928 requests with 60 KB codes took 62 MB: a code that is not a code is refused
    before it reaches the rate limiter; valid codes of nobody fill a bounded table."""
    client = serve(WebSettings(max_refused_keys=50))
    stations, refused = client.api.state.limiters
    huge = "X" * 60_000
    for code in (huge, "..%2F..%2Fx", "a@b", "-lead", "A" * 65, "T%C3%A2n", "a%0Ab"):
        for headers in ({}, bearer("x"), bearer(province.tokens["TANTIEN-01"])):
            answer = client.get(JSON.format(code), headers=headers)
            assert answer.status_code in (404, 422), (code[:20], answer.status_code)
            assert "code" in answer.json()["error"] or "no resource" in answer.json()["error"]
    assert len(stations) == 0 and len(refused) == 0
    for i in range(120):
        assert client.get(JSON.format(f"KHONG-CO-{i}"), headers=bearer("x")).status_code == 401
    assert len(refused) == 50 and len(stations) == 0
    ok = client.get(JSON.format("TANTIEN-01"), headers=bearer(province.tokens["TANTIEN-01"]))
    assert ok.status_code == 200 and len(stations) == 1


@pytest.mark.parametrize(("header", "expected"), [
    (f"bytes={'9' * 5000}-", "416"), (f"bytes=0-{'9' * 5000}", (0, 99)),
    (f"bytes=-{'9' * 5000}", (0, 99)), (f"bytes={'0' * 5000}5-9", (5, 9)),
    ("bytes=٣-", None),   # Arabic-Indic digits are not digits here
])
def test_parse_range_of_huge_numbers(header: str, expected: Any) -> None:
    if expected == "416":
        with pytest.raises(Exception, match="of a 100-byte file"):
            parse_range(header, 100)
    else:
        assert parse_range(header, 100) == expected


def test_huge_range_is_416_not_500(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    playlist = client.get(M3U8.format("TANTIEN-01"),
                          headers=bearer(province.tokens["TANTIEN-01"])).text
    url = next(line for line in playlist.splitlines() if "/media/" in line)
    size = len(client.get(url).content)
    answer = client.get(url, headers={"Range": f"bytes={'9' * 5000}-"})
    assert answer.status_code == 416, answer.text
    assert "range" in answer.json()["error"] and answer.headers["content-range"] == \
        f"bytes */{size}"
    whole = client.get(url, headers={"Range": f"bytes=0-{'9' * 5000}"})
    assert whole.status_code == 206 and len(whole.content) == size
    path = url.split(str(client.base_url).rstrip("/"), 1)[1]
    answer_head = raw(client, f"GET {path} HTTP/1.1\r\nHost: x\r\nContent-Length: "
                              f"{'9' * 5000}\r\n\r\n".encode())
    assert answer_head.split(b" ", 2)[1] in (b"400", b"413"), answer_head[:200]


def raw(client: httpx.Client, request: bytes) -> bytes:
    """Send ``request`` as it is on a new connection; the first answer's bytes."""
    with socket.create_connection((client.base_url.host, client.base_url.port), 10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def _report(**play: Any) -> dict[str, Any]:
    start = datetime(2030, 3, 4, 23, 0, tzinfo=UTC)
    return {"plays": [{"id": "a:1", "item": "sang@20300304T230000Z#1.1",
                       "scheduled_start": start.isoformat(),
                       "started_at": (start + timedelta(seconds=1)).isoformat(),
                       "outcome": "played"} | play]}


BAD_REPORTS = {
    "year 1": _report(scheduled_start="0001-01-01T00:00:00+05:00"),
    "year 9999": _report(started_at="9999-12-31T23:59:59-01:00"),
    "year 1 UTC": _report(ended_at="0001-01-01T00:00:00Z"),
    "year 2500": _report(scheduled_start="2500-01-01T00:00:00Z"),
    "disk 2^63": {"heartbeat": {"disk_free_bytes": 2**63}},
    "publication 2^31": {"heartbeat": {"publication": 2**31}},
    "publication 2^63": {"heartbeat": {"publication": 2**63}},
    "NUL in version": {"heartbeat": {"agent_version": "1.0\x00"}},
    "NUL in detail": _report(detail="x\x00y"),
    "deep playing": {"heartbeat": {"playing": {"a": [[[[[[[[[[1]]]]]]]]]]}}},
    "long entry code": _report(item="x" * 200 + "@20300304T230000Z"),
}


@pytest.mark.parametrize("case", list(BAD_REPORTS))
def test_report_fields_the_database_cannot_hold_are_422(province, serve, case: str) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    answer = client.post(REPORTS.format("TANTIEN-01"), json=BAD_REPORTS[case],
                         headers=bearer(province.tokens["TANTIEN-01"]))
    assert answer.status_code == 422, (case, answer.status_code, answer.text)
    assert answer.json()["error"].startswith("the report is invalid")
    # The largest values the database holds are fine.
    fine = client.post(REPORTS.format("TANTIEN-01"), headers=bearer(province.tokens[
        "TANTIEN-01"]), json={"heartbeat": {"disk_free_bytes": 2**63 - 1,
                                            "publication": 2**31 - 1}})
    assert fine.status_code == 200, fine.text


def test_playing_is_cleaned_or_refused(province, serve, app) -> None:  # type: ignore[no-untyped-def]
    """``playing`` is free-form: NUL characters are replaced (PostgreSQL refuses them in
    text), NaN and booleans for numbers refused."""
    client = serve()
    token = bearer(province.tokens["TANTIEN-01"])
    stored = client.post(REPORTS.format("TANTIEN-01"), headers=token,
                         json={"heartbeat": {"playing": {"item": "a\x00b", "x": ["\x00"]}}})
    assert stored.status_code == 200, stored.text
    with app.sessions() as session:
        status = session.scalar(select(StationStatus))
        assert status.playing == {"item": "a\ufffdb", "x": ["\ufffd"]}
    for body in ({"heartbeat": {"disk_free_bytes": False}},
                 {"heartbeat": {"publication": True}},
                 _report(scheduled_start=1_900_000_000)):
        refused = client.post(REPORTS.format("TANTIEN-01"), headers=token, json=body)
        assert refused.status_code == 422, (body, refused.text)
    answer = client.post(REPORTS.format("TANTIEN-01"),
                         content=b'{"heartbeat": {"playing": {"offset_s": NaN}}}',
                         headers=bearer(province.tokens["TANTIEN-01"]) | {
                             "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text


def test_nul_in_path_or_query_is_400(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    for url in ("/ui/chuong-trinh/a%00b", "/media/a%00.mp3", "/ui/lich-phat?target=a%00",
                JSON.format("TANTIEN%00")):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert "NUL" in answer.json()["error"]
    # A station's token is only ever hashed: with a NUL it is a wrong token.
    assert client.get(JSON.format("TANTIEN-01") + "?token=a%00b").status_code == 401


def _no_host_echo(answer: httpx.Response) -> None:
    text = answer.content.decode("utf-8", "replace") + "".join(
        f"{k}: {v}\n" for k, v in answer.headers.items())
    assert EVIL not in text, (answer.request.url, answer.status_code, text[:500])


def test_host_header_is_never_echoed(province, serve) -> None:  # type: ignore[no-untyped-def]
    """Redirects are relative and M3U8 media URLs use the address the request reached (or
    the configured public URL), never a forged Host header."""
    client = serve()
    forged = {"Host": EVIL}
    token = bearer(province.tokens["TANTIEN-01"])
    for url, headers in (("/ui", {}), ("/ui/", {}), ("/ui/van-ban", {}), ("/ui/static", {}),
                         ("/healthz/", {}), (M3U8.format("TANTIEN-01"), token),
                         (M3U8.format("TANTIEN-01") + "?token=" + province.tokens[
                             "TANTIEN-01"], {}), (JSON.format("TANTIEN-01"), token),
                         ("/nowhere", {}), ("/api/v1/openapi.json", {})):
        answer = client.get(url, headers=headers | forged)
        assert answer.status_code < 500, url
        _no_host_echo(answer)
    answer = client.get("/ui", headers=forged)
    assert answer.status_code == 308 and answer.headers["location"] == "/ui/"
    m3u8 = client.get(M3U8.format("TANTIEN-01"), headers=token | forged)
    assert f"{str(client.base_url).rstrip('/')}/media/" in m3u8.text


def test_m3u8_uses_the_public_url(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(WebSettings(public_url="https://phatthanh.binhson.example/"))
    m3u8 = client.get(M3U8.format("TANTIEN-01"), headers=bearer(province.tokens["TANTIEN-01"]))
    urls = [line for line in m3u8.text.splitlines() if line and not line.startswith("#")]
    assert urls and all(u.startswith("https://phatthanh.binhson.example/media/") for u in urls)


def test_hardening_headers(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    for url in ("/ui/dang-nhap", "/healthz", JSON.format("TANTIEN-01"), "/ui/static/ui.css"):
        answer = client.get(url, headers=bearer(province.tokens["TANTIEN-01"]))
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, url
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert client.get("/ui/dang-nhap").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/ui/static/ui.css").headers.get("cache-control", "")


def test_openapi_describes_the_station_api(app, serve) -> None:  # type: ignore[no-untyped-def]
    document = serve().get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert not [p for p in paths if p.startswith("/ui")]
    playlist = paths["/api/v1/stations/{code}/playlist.json"]["get"]
    assert {"HTTPBearer": []} in playlist["security"] and {"APIKeyQuery": []} in \
        playlist["security"]
    code = next(p for p in playlist["parameters"] if p["name"] == "code")
    assert code["schema"]["maxLength"] == 64 and code["schema"]["pattern"]
    assert {"304", "401", "403", "404", "429"} <= set(playlist["responses"])
    reports = paths["/api/v1/stations/{code}/reports"]["post"]
    body = reports["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReportIn"}
    schemas = document["components"]["schemas"]
    assert {"ReportIn", "PlayIn", "HeartbeatIn"} <= set(schemas)
    assert schemas["HeartbeatIn"]["properties"]["disk_free_bytes"]["anyOf"][0]["maximum"] == \
        2**63 - 1
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    media = paths["/media/{name}"]["get"]
    assert {p["name"] for p in media["parameters"]} >= {"range", "if-none-match"}
