"""The agent's network loops against the real HTTP app on a real socket (SQLite and PostgreSQL).

Fixtures ``serve`` and ``province`` come from the web tests: a published province with two
stations and their tokens.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from broadcaster.agent.cache import MediaCache, sha256_of
from broadcaster.agent.client import Backoff, Refused, ServerClient, ServerUnavailable, retry_after
from broadcaster.agent.clock import SystemClock
from broadcaster.agent.fetch import Downloader, MediaCorrupt, Throttle, fetch_order
from broadcaster.agent.queue import PlayEntry, ReportQueue
from broadcaster.agent.settings import AgentSettings
from broadcaster.agent.sync import Fetcher, Poller, Reporter, Shared, refused_entry
from broadcaster.db import Play, Station, StationStatus
from broadcaster.web import WebSettings
from tests.agent.conftest import T0, FakeClock, make_item
from tests.helpers import wait_for
from tests.web.conftest import province, serve  # noqa: F401  (fixtures)


@pytest.fixture
def station(province, serve, make_settings, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    """``station(web_settings=None)``: settings and a client of TANTIEN-01 on a live server."""

    def make(web: WebSettings | None = None, **overrides: Any) -> tuple[AgentSettings,
                                                                           ServerClient]:
        client = serve(web)
        token = tmp_path / "token"
        token.write_text(province.tokens["TANTIEN-01"])
        settings: AgentSettings = make_settings(server=str(client.base_url).rstrip("/"),
                                                token_file=token, wait_s=1, **overrides)
        return settings, ServerClient(settings, lambda: token.read_text())

    return make


def loops(settings: AgentSettings, client: ServerClient) -> tuple[Shared, Poller, Fetcher,
                                                                   MediaCache]:
    assert settings.cache is not None
    settings.cache.mkdir(parents=True, exist_ok=True)
    shared, clock = Shared(), SystemClock()
    cache = MediaCache(settings.cache)
    return (shared, Poller(settings, shared, client, clock, cache_dir=settings.cache),
            Fetcher(settings, shared, client, clock, cache=cache), cache)


def test_playlist_then_long_poll_then_media(station) -> None:  # type: ignore[no-untyped-def]
    settings, client = station()
    shared, poller, fetcher, cache = loops(settings, client)
    poller.step()
    manifest = shared.manifest
    assert manifest is not None and manifest.publication == 1 and manifest.items
    saved = (settings.cache_dir / "playlist.json").read_bytes()
    assert b'"digest": "' + manifest.digest.encode() in saved
    assert shared.new_playlist.is_set() and shared.last_contact is not None
    began = time.monotonic()
    poller.step()  # unchanged: the server holds the request for wait_s, then 304
    assert 0.8 < time.monotonic() - began < 5 and shared.manifest is manifest
    shared.wake_fetch.set()
    fetcher.step()
    media = manifest.media()
    assert cache.ready() == set(media)
    for sha, ref in media.items():
        assert sha256_of(cache.path(ref)) == sha


def test_a_broken_download_resumes_with_range(station) -> None:  # type: ignore[no-untyped-def]
    settings, client = station()
    shared, poller, _, cache = loops(settings, client)
    poller.step()
    assert shared.manifest is not None
    ref = max(shared.manifest.media().values(), key=lambda m: m.bytes)
    real = httpx.get(settings.server + ref.url).content
    half = len(real) // 2
    downloader = Downloader(client, cache, SystemClock())
    # A wrong first half proves the rest was appended, not fetched whole again...
    cache.part_path(ref).write_bytes(b"\0" * half)
    with pytest.raises(MediaCorrupt, match="not to the file's name"):
        downloader.fetch(ref)
    assert not cache.part_path(ref).exists() and not cache.path(ref).exists()
    # ...and a right one ends as the right file.
    cache.part_path(ref).write_bytes(real[:half])
    assert downloader.fetch(ref)
    assert cache.path(ref).read_bytes() == real and ref.sha256 in cache.ready()


def test_a_paused_download_keeps_its_part(station) -> None:  # type: ignore[no-untyped-def]
    settings, client = station()
    shared, poller, _, cache = loops(settings, client)
    poller.step()
    assert shared.manifest is not None
    ref = max(shared.manifest.media().values(), key=lambda m: m.bytes)
    assert not Downloader(client, cache, SystemClock()).fetch(ref, abort=lambda: True)
    assert 0 < cache.part_path(ref).stat().st_size < ref.bytes
    assert Downloader(client, cache, SystemClock()).fetch(ref)


def test_bandwidth_is_bounded(station) -> None:  # type: ignore[no-untyped-def]
    settings, client = station()
    shared, poller, _, cache = loops(settings, client)
    poller.step()
    assert shared.manifest is not None
    ref = max(shared.manifest.media().values(), key=lambda m: m.bytes)
    rate = ref.bytes * 2  # half a second's worth
    began = time.monotonic()
    assert Downloader(client, cache, SystemClock(), max_bytes_per_s=rate).fetch(ref)
    assert time.monotonic() - began >= 0.45


def test_throttle_sleeps_to_keep_the_average_rate() -> None:
    clock = FakeClock()
    throttle = Throttle(1000, clock)
    for _ in range(10):
        throttle.take(500)
    assert sum(clock.waits) == pytest.approx(5.0)
    Throttle(0, clock).take(10**9)  # no limit: no wait
    assert len(clock.waits) == 10


def test_emergency_media_come_first() -> None:
    items = [make_item("a@X#1.1", 100, 200), make_item("b@X#1.1", 50, 60, "high"),
             make_item("lu@X#1.1", 300, 310, "emergency"), make_item("c@X#1.1", 10, 20),
             make_item("over@X#1.1", -50, -10, "emergency"),
             make_item("a@X#2.1", 400, 500, data=b"a@X#1.1")]
    order = fetch_order(items, T0)
    assert [m.sha256 for m in order] == [items[i].media.sha256 for i in (2, 1, 3, 0)]


def test_reports_are_acknowledged_once_and_stored_once(station, app) -> None:  # type: ignore[no-untyped-def]
    settings, client = station()
    shared, poller, _, cache = loops(settings, client)
    poller.step()
    assert shared.manifest is not None
    ref = next(iter(shared.manifest.media().values()))
    assert Downloader(client, cache, SystemClock()).fetch(ref)  # one file of the playlist
    item = shared.manifest.items[0]
    queue = ReportQueue(settings.cache_dir / "reports.db")
    ids = queue.add([PlayEntry(item.id, item.start, "played", item.start, item.end,
                               ends_at=item.end)])
    shared.playing = {"item": item.id, "offset_s": 1.5}
    reporter = Reporter(settings, shared, client, FakeClock(), queue=queue,
                        cache_dir=settings.cache_dir, cache=cache)
    reporter.step()
    assert queue.count() == 0
    body = queue.pending()  # nothing left; send the same entry again by hand
    assert body == []
    again = client.report({"plays": [PlayEntry(item.id, item.start, "played", item.start,
                                               item.end).body(ids[0])]})
    assert again["received"] == 0 and again["duplicates"] == 1 and again["last_id"] == ids[0]
    with app.sessions() as session:
        plays = session.scalars(select(Play)).all()
        assert [(p.report_id, p.item_id, p.outcome) for p in plays] == [
            (ids[0], item.id, "played")]
        station_id = session.scalar(select(Station.id).where(Station.code == "TANTIEN-01"))
        status = session.get(StationStatus, station_id)
        assert status is not None and status.publication == 1
        assert status.digest == shared.manifest.digest and status.playing["offset_s"] == 1.5
        assert status.agent_version and status.disk_free_bytes
        # How much of the playlist's media the station holds, verified.
        total = len(shared.manifest.media())
        assert total > 1
        assert (status.playing["media_ready"], status.playing["media_total"]) == (1, total)
        # The server keeps what the agent says of its workers (nothing went wrong here).
        assert status.playing["workers"] == {name: {"errors": 0, "restarts": 0}
                                             for name in ("media", "playlist", "reports")}
        assert status.playing["restarts"] == 0


def test_a_file_missing_on_the_server_holds_up_nothing(station, app) -> None:  # type: ignore[no-untyped-def]
    """A 404 on one media file killed the media thread (``ResponseNotRead``): nothing more
    was downloaded, even after the file was back, until a restart."""
    settings, client = station(backoff_min_s=0.05, backoff_max_s=0.2)
    shared, poller, fetcher, cache = loops(settings, client)
    poller.step()
    assert shared.manifest is not None
    first, *others = fetch_order(shared.manifest.items, datetime.now(UTC))
    assert others, "the province's playlist names several files"
    stored = app.store.path_for(first.sha256, first.ext)
    hidden = stored.rename(stored.with_name(stored.name + ".hidden"))
    thread = threading.Thread(target=fetcher.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: {m.sha256 for m in others} <= cache.ready(), 30,
                 "the other files to download")
        assert first.sha256 not in cache.ready()
        assert f"media {first.name}: the server answered 404: there is no media file " \
               f"{first.name}; this file is tried again in" in shared.last_error
        hidden.rename(stored)  # back on the server: fetched without a restart
        wait_for(lambda: first.sha256 in cache.ready(), 30, "the file once it is back")
        assert sha256_of(cache.path(first)) == first.sha256 and thread.is_alive()
    finally:
        shared.stopping.set()
        shared.wake_all()
        thread.join(timeout=10)


def test_a_report_too_large_for_the_server_goes_in_smaller_batches(station, app,  # type: ignore[no-untyped-def]
                                                                   caplog) -> None:
    """The server refuses bodies over its limit (413); the agent halves its batches instead
    of sending the same report every minute for ever."""
    settings, client = station(WebSettings(max_body_bytes=16 * 1024))
    settings.cache_dir.mkdir(parents=True)
    queue = ReportQueue(settings.cache_dir / "reports.db")
    queue.add([PlayEntry(f"thu@20261127T030000Z#{n}.1", T0, "failed", detail="x" * 400,
                         ends_at=T0) for n in range(60)])    # ~30 kB in one report
    reporter = Reporter(settings, Shared(), client, FakeClock(), queue=queue,
                        cache_dir=settings.cache_dir)
    for _ in range(12):
        reporter.step()
        if not queue.count():
            break
    assert queue.count() == 0
    assert "the server found a report of 60 entries too large" in caplog.text
    with app.sessions() as session:
        assert len(session.scalars(select(Play)).all()) == 60


def test_too_many_requests_is_retried_after_the_servers_delay(station) -> None:  # type: ignore[no-untyped-def]
    _, client = station(WebSettings(rate_per_second=0.2, burst=1))
    client.playlist(None)
    with pytest.raises(ServerUnavailable) as refused:
        client.playlist(None)
    assert refused.value.retry_after is not None and refused.value.retry_after >= 1
    backoff = Backoff(0.1, 0.2, rng=lambda: 0.0)
    assert backoff.next(refused.value.retry_after) == refused.value.retry_after


def test_a_wrong_token_or_station_is_refused_clearly(station, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, _ = station()
    wrong = ServerClient(settings, lambda: "not-the-token")
    with pytest.raises(Refused, match="401") as refused:
        wrong.playlist(None)
    assert refused.value.status == 401


def test_an_unreachable_server_is_unavailable_not_fatal(make_settings) -> None:  # type: ignore[no-untyped-def]
    client = ServerClient(make_settings(timeout_s=2), lambda: "t")
    with pytest.raises(ServerUnavailable, match="cannot be reached"):
        client.playlist(None)


def test_backoff_grows_with_jitter_and_resets() -> None:
    draws = iter([0.0, 1.0, 0.5, 0.0, 1.0, 0.0])
    backoff = Backoff(1.0, 8.0, rng=lambda: next(draws))
    delays = [backoff.next() for _ in range(5)]
    assert delays == [0.5, 2.0, 3.0, 4.0, 8.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_retry_after_as_seconds_or_date() -> None:
    assert retry_after("7") == 7.0
    assert retry_after("Fri, 27 Nov 2026 03:00:30 GMT", T0) == 30.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_a_refused_entry_is_found_in_the_servers_message() -> None:
    batch: list[dict[str, Any]] = [{"id": "a:1"}, {"id": "a:2"}]
    assert refused_entry("the report is invalid: plays.1.outcome: bad", batch) == batch[1]
    assert refused_entry("the report is invalid: report entry a:1: ended_at is before",
                         batch) == batch[0]
    assert refused_entry("the report is invalid: heartbeat.digest: too long", batch) is None
