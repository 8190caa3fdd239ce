"""The station pull protocol over a real socket: uvicorn in a thread, httpx against it.

Every test that publishes runs on SQLite and PostgreSQL (``cli``/``app`` fixtures).
"""

from __future__ import annotations

import configparser
import hashlib
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from broadcaster.app import App
from broadcaster.web import WebSettings
from broadcaster.web._http import RangeNotSatisfiable, etag_matches, parse_range
from broadcaster.web._limits import RateLimiter
from tests.helpers import SCHEDULE
from tests.web.conftest import JSON, M3U8, bearer


def test_playlist_json_then_304(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    headers = bearer(province.tokens["TANTIEN-01"])
    first = client.get(JSON.format("TANTIEN-01"), headers=headers)
    assert first.status_code == 200, first.text
    stored = (province.home / "publications" / "current" / "stations" / "TANTIEN-01"
              / "playlist.json").read_bytes()
    assert first.content == stored
    assert first.headers["content-type"] == "application/json"
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["etag"] == f'"{first.json()["digest"]}"'
    again = client.get(JSON.format("TANTIEN-01"),
                       headers=headers | {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    weak = client.get(JSON.format("TANTIEN-01"),
                      headers=headers | {"If-None-Match": f'"x", W/{first.headers["etag"]}'})
    assert weak.status_code == 304
    assert client.get("/healthz").json() == {"status": "ok", "publication": 1}


def test_who_may_read_what(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    own, other = province.tokens["TANTIEN-01"], province.tokens["HOALOC-01"]
    url = JSON.format("TANTIEN-01")
    cases = [
        (url, {}, 401),
        (url, {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        (url, bearer("not-a-token"), 401),
        (url, bearer(other), 403),
        (JSON.format("KHONG-CO"), bearer(own), 404),
        (JSON.format("KHONG-CO"), bearer("not-a-token"), 401),  # codes stay secret
        (M3U8.format("HOALOC-01"), bearer(own), 403),
    ]
    for path, headers, status in cases:
        response = client.get(path, headers=headers)
        assert response.status_code == status, (path, headers, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"].count(" ") >= 3  # a sentence, not a code
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert "HOALOC-01" in client.get(url, headers=bearer(other)).json()["error"]
    # A station added after the publication is not in it yet.
    province("stations", "add", "MOI-01", "--name", "Đài xã mới", "--group", "BS-TANTIEN")
    token = province("stations", "token", "MOI-01", "--rotate").stdout.strip()
    missing = client.get(JSON.format("MOI-01"), headers=bearer(token))
    assert missing.status_code == 404
    assert "not in publication 1" in missing.json()["error"]


def test_nothing_published_yet(cli, tmp_path: Path, serve) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tinh.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))
    token = cli("stations", "token", "TANTIEN-01", "--rotate").stdout.strip()
    client = serve()
    assert client.get("/healthz").json() == {"status": "ok", "publication": None}
    response = client.get(JSON.format("TANTIEN-01"), headers=bearer(token))
    assert response.status_code == 404
    assert response.json() == {"error": "nothing has been published yet"}


def test_m3u8_media_and_ranges(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    response = client.get(M3U8.format("TANTIEN-01"), headers=bearer(province.tokens["TANTIEN-01"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/x-mpegurl; charset=utf-8"
    urls = [line for line in response.text.splitlines() if line and not line.startswith("#")]
    assert urls
    # Absolute URLs on the address the player reached (mpv reads "/media/..." as a local
    # path), never on the Host header it sent (see test_hardening.py).
    base = str(client.base_url).rstrip("/")
    assert all(u.startswith(f"{base}/media/") for u in urls)
    for url in set(urls):
        media = client.get(url)
        assert media.status_code == 200, url
        sha256 = url.rsplit("/", 1)[1].split(".")[0]
        assert hashlib.sha256(media.content).hexdigest() == sha256
        assert media.headers["x-content-sha256"] == sha256
        assert media.headers["etag"] == f'"{sha256}"'
        assert media.headers["accept-ranges"] == "bytes"
        assert media.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert media.headers["content-type"].startswith("audio/")
    data, url = media.content, str(response.url.join(url))
    size = len(data)
    part = client.get(url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == data[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{size}"
    tail = client.get(url, headers={"Range": "bytes=-7"})
    assert tail.status_code == 206 and tail.content == data[-7:]
    beyond = client.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert "range" in beyond.json()["error"]
    head = client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(size)
    assert client.get(url, headers={"If-None-Match": f'"{sha256}"'}).status_code == 304
    for bad in ("/media/nothing.mp3", "/media/" + "0" * 64 + ".mp3", "/media/../etc/passwd"):
        assert client.get(bad).status_code == 404, bad


PLS = "/api/v1/stations/{}/playlist.pls"


def test_pls_over_http_and_in_mpv(province, serve) -> None:  # type: ignore[no-untyped-def]
    """The PLS format, added through the format registry alone, is served like the M3U8 (same
    ETag, absolute media URLs, token in the query) and a real player plays it."""
    client = serve()
    token = province.tokens["TANTIEN-01"]
    response = client.get(PLS.format("TANTIEN-01"), headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/x-scpls"
    digest = client.get(JSON.format("TANTIEN-01"), headers=bearer(token)).json()["digest"]
    assert response.headers["etag"] == f'"{digest}"'
    assert client.get(PLS.format("TANTIEN-01"), headers=bearer(token) | {
        "If-None-Match": response.headers["etag"]}).status_code == 304
    assert client.get(PLS.format("TANTIEN-01"),
                      headers=bearer(province.tokens["HOALOC-01"])).status_code == 403
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(response.text)
    count = int(parser["playlist"]["numberofentries"])
    files = [parser["playlist"][f"file{n}"] for n in range(1, count + 1)]
    m3u8 = client.get(M3U8.format("TANTIEN-01"), headers=bearer(token)).text
    assert files and files == [u for u in m3u8.splitlines() if u and not u.startswith("#")]

    mpv = shutil.which("mpv")
    assert mpv, "this test needs mpv (Debian package 'mpv'); `make test` installs it as root"
    url = f"{client.base_url}{PLS.format('TANTIEN-01')}?token={token}"
    done = subprocess.run([mpv, "--no-config", "--ytdl=no", "--ao=null", "--ao-null-untimed",
                           "--vo=null", "--msg-level=all=info", url],
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert [line.removeprefix("Playing: ") for line in output.splitlines()
            if line.startswith("Playing: ")] == files
    assert output.count("(+) Audio --aid=1 ") == len(files)


def test_long_poll_wakes_on_publish(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    headers = bearer(province.tokens["TANTIEN-01"])
    first = client.get(JSON.format("TANTIEN-01"), headers=headers)
    etag = first.headers["etag"]
    waiting = headers | {"If-None-Match": etag}

    started = time.monotonic()
    unchanged = client.get(JSON.format("TANTIEN-01"), params={"wait": 1}, headers=waiting)
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag
    assert 0.9 <= time.monotonic() - started < 3

    result: dict[str, Any] = {}

    def poll() -> None:
        result["response"] = client.get(JSON.format("TANTIEN-01"), params={"wait": 10},
                                        headers=waiting)
        result["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    assert "response" not in result  # still held
    province.path.write_text(SCHEDULE.replace('start: "06:00"', 'start: "06:10"'),
                             encoding="utf-8")
    province("schedule", "apply", str(province.path))
    province("publish", "--days", "2")
    published = time.monotonic()
    poller.join(timeout=12)
    response = result["response"]
    assert response.status_code == 200
    assert response.headers["etag"] != etag
    assert response.headers["etag"] == f'"{response.json()["digest"]}"'
    assert response.json()["publication"] == 2
    assert result["at"] - published < 1.0


def test_bad_wait_is_422(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    for wait in ("0", "61", "-1", "soon"):
        response = client.get(JSON.format("TANTIEN-01"), params={"wait": wait},
                              headers=bearer(province.tokens["TANTIEN-01"]))
        assert response.status_code == 422, wait
        assert "wait" in response.json()["error"]


def test_hammering_is_429(province, serve) -> None:  # type: ignore[no-untyped-def]
    # One token every 2 s after the burst: the hammering must outrun the refill even on a loaded
    # machine (at 2 tokens a second, requests answered in 0.5 s each were never refused).
    client = serve(WebSettings(rate_per_second=0.5, burst=5))
    headers = bearer(province.tokens["TANTIEN-01"])
    statuses = [client.get(JSON.format("TANTIEN-01"), headers=headers) for _ in range(12)]
    assert [r.status_code for r in statuses[:5]] == [200] * 5
    refused = [r for r in statuses if r.status_code == 429]
    assert len(refused) >= 5
    assert int(refused[0].headers["retry-after"]) >= 1
    assert "TANTIEN-01" in refused[0].json()["error"]
    # Another station has its own budget; bad tokens spend a budget of their own.
    assert client.get(JSON.format("HOALOC-01"),
                      headers=bearer(province.tokens["HOALOC-01"])).status_code == 200
    bad = [client.get(JSON.format("HOALOC-01"), headers=bearer("x")).status_code
           for _ in range(8)]
    assert bad[:5] == [401] * 5 and 429 in bad
    assert client.get(JSON.format("HOALOC-01"),
                      headers=bearer(province.tokens["HOALOC-01"])).status_code == 200
    time.sleep(2.1)
    assert client.get(JSON.format("TANTIEN-01"), headers=headers).status_code == 200


def test_oversized_bodies_are_413(app: App, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(WebSettings(max_body_bytes=1024))
    for path in ("/api/v1/stations/TANTIEN-01/reports", "/healthz", "/anything"):
        response = client.post(path, content=b"x" * 2048)
        assert response.status_code == 413, path
        assert "1024 bytes" in response.json()["error"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b"x" * 2000

    response = client.post("/healthz", content=chunked())
    assert response.status_code == 413
    small = client.post("/healthz", content=b"{}")
    assert small.status_code == 405 and "POST" in small.json()["error"]
    assert client.get("/nowhere").json() == {"error": "there is no resource at /nowhere"}


# -- pure parts, no server --------------------------------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("bytes=0-9", (0, 9)), ("bytes=90-", (90, 99)), ("bytes=-10", (90, 99)),
    ("bytes=-500", (0, 99)), ("bytes=5-5000", (5, 99)), ("bytes=9-3", None),
    ("bytes=0-1,5-6", None), ("items=0-1", None), ("bytes=-", None),
])
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
def test_parse_range_unsatisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_etag_matches() -> None:
    assert etag_matches('"abc"', "abc") and etag_matches('W/"abc"', "abc")
    assert etag_matches('"x", "abc"', "abc") and etag_matches("*", "abc")
    assert not etag_matches(None, "abc") and not etag_matches("abc", "abc")


def test_rate_limiter_refills_with_the_clock() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0], max_keys=2)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(0.5)
    now[0] = 0.5
    assert limiter.take("a") == 0 and limiter.take("a") > 0
    assert limiter.take("b") == 0
    now[0] = 10
    limiter.take("c")  # over max_keys: the least recently used bucket goes
    assert set(limiter._buckets) == {"b", "c"} and len(limiter) == 2
