"""POST .../reports over a real socket: heartbeats, idempotent proof of play, every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from broadcaster.app import App
from broadcaster.db import Holding, Play, Station, StationStatus
from broadcaster.reports import mark_offline
from tests.web.conftest import JSON, REPORTS, bearer


def _play(n: int, item: str, outcome: str = "played", **extra: Any) -> dict[str, Any]:
    start = datetime(2030, 3, 4, 23, 0, tzinfo=UTC) + timedelta(minutes=n)
    return {"id": f"agent-1:{n}", "item": item, "scheduled_start": start.isoformat(),
            "started_at": (start + timedelta(seconds=1)).isoformat(),
            "ended_at": (start + timedelta(seconds=40)).isoformat(),
            "outcome": outcome} | extra


def test_heartbeat_and_plays_are_stored_once(province, serve, app: App) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    headers = bearer(province.tokens["TANTIEN-01"])
    playlist = client.get(JSON.format("TANTIEN-01"), headers=headers).json()
    items = [i["id"] for i in playlist["items"]]
    beat = {"agent_version": "0.5.0", "publication": playlist["publication"],
            "digest": playlist["digest"], "disk_free_bytes": 5_000_000_000,
            "playing": {"item": items[0], "offset_s": 12.5}}
    plays = [_play(1, items[0]), _play(2, items[1], "preempted", detail="khẩn cấp")]
    first = client.post(REPORTS.format("TANTIEN-01"), headers=headers,
                        json={"heartbeat": beat, "plays": plays})
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 2, "duplicates": 0, "last_id": "agent-1:2",
                            "publication": 1, "digest": playlist["digest"]}
    # The answer was lost on the way: the station sends the same batch plus one more.
    again = client.post(REPORTS.format("TANTIEN-01"), headers=headers,
                        json={"plays": [*plays, _play(3, items[2])]})
    assert again.json()["received"] == 1 and again.json()["duplicates"] == 2
    assert again.json()["last_id"] == "agent-1:3"
    with app.sessions() as session:
        station = session.scalar(select(Station).where(Station.code == "TANTIEN-01"))
        assert station is not None
        rows = session.scalars(select(Play).where(Play.station_id == station.id)
                               .order_by(Play.report_id)).all()
        assert [(r.report_id, r.outcome, r.programme) for r in rows] == [
            ("agent-1:1", "played", "ban-tin"), ("agent-1:2", "preempted", "ban-tin"),
            ("agent-1:3", "played", "ban-tin")]
        assert rows[1].detail == "khẩn cấp"
        assert rows[0].started_at == datetime(2030, 3, 4, 23, 1, 1, tzinfo=UTC)
        status = session.get(StationStatus, station.id)
        assert status is not None
        assert status.agent_version == "0.5.0" and status.publication == 1
        assert status.playing == {"item": items[0], "offset_s": 12.5}
        assert status.disk_free_bytes == 5_000_000_000
        holding = session.scalar(select(Holding).where(Holding.station_id == station.id))
        assert holding is not None
        assert holding.publication == 1 and holding.digest == playlist["digest"]


def test_offline_marking_and_return(province, serve, app: App) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    headers = bearer(province.tokens["HOALOC-01"])
    assert client.post(REPORTS.format("HOALOC-01"), headers=headers,
                       json={"heartbeat": {"agent_version": "x"}}).status_code == 200
    later = datetime.now(UTC) + timedelta(minutes=20)
    assert mark_offline(app.sessions, timedelta(minutes=15), later) == ["HOALOC-01"]
    assert mark_offline(app.sessions, timedelta(minutes=15), later) == []  # once
    client.post(REPORTS.format("HOALOC-01"), headers=headers, json={"heartbeat": {}})
    with app.sessions() as session:
        status = session.scalars(select(StationStatus)).one()
        assert status.offline_since is None


def test_refusals(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    own, other = province.tokens["TANTIEN-01"], province.tokens["HOALOC-01"]
    url = REPORTS.format("TANTIEN-01")
    ok_item = "sang@20300304T230000Z#1.1"
    cases: list[tuple[str, dict[str, str], Any, int, str]] = [
        (url, {}, {"heartbeat": {}}, 401, "Authorization"),
        (url, bearer("sai"), {"heartbeat": {}}, 401, "not valid"),
        (url, bearer(other), {"heartbeat": {}}, 403, "HOALOC-01"),
        (REPORTS.format("KHONG-CO"), bearer(own), {}, 404, "KHONG-CO"),
        (url, bearer(own), "not json", 422, "invalid"),
        (url, bearer(own), {"plays": [{"id": "1"}]}, 422, "plays.0.item"),
        (url, bearer(own), {"plays": [_play(1, ok_item, "broadcast")]}, 422, "plays.0.outcome"),
        (url, bearer(own), {"plays": [_play(1, ok_item, scheduled_start="2030-03-04T06:00")]},
         422, "timezone"),
        (url, bearer(own), {"plays": [_play(1, "no-at-sign")]}, 422, "not a playlist item id"),
        (url, bearer(own), {"plays": [_play(1, ok_item, ended_at="2030-03-04T00:00:00Z")]},
         422, "ended_at is before started_at"),
        (url, bearer(own), {"heartbeat": {"disk_free_bytes": -1}}, 422, "disk_free_bytes"),
        (url, bearer(own), {"heartbeat": {}, "surprise": 1}, 422, "surprise"),
        (url, bearer(own), {"plays": [_play(n, ok_item) for n in range(501)]}, 422, "plays"),
    ]
    for path, headers, body, status, words in cases:
        if isinstance(body, str):
            response = client.post(path, headers=headers | {"content-type": "application/json"},
                                   content=body)
        else:
            response = client.post(path, headers=headers, json=body)
        assert response.status_code == status, (body, response.text)
        assert words in response.json()["error"], (body, response.text)
    # Nothing of the refused reports was stored.
    accepted = client.post(url, headers=bearer(own), json={"plays": [_play(9, ok_item)]})
    assert accepted.json()["received"] == 1 and accepted.json()["last_id"] == "agent-1:9"


def test_oversized_body_is_refused_before_it_is_read(province, serve) -> None:  # type: ignore[no-untyped-def]
    from broadcaster.web import WebSettings

    client = serve(WebSettings(max_body_bytes=2048))
    url = REPORTS.format("TANTIEN-01")
    big = {"plays": [_play(n, "sang@20300304T230000Z#1.1", detail="x" * 400)
                     for n in range(20)]}
    response = client.post(url, headers=bearer(province.tokens["TANTIEN-01"]), json=big)
    assert response.status_code == 413
    assert "2048" in response.json()["error"]


def test_metrics(province, serve) -> None:  # type: ignore[no-untyped-def]
    client = serve()
    headers = bearer(province.tokens["TANTIEN-01"])
    client.get(JSON.format("TANTIEN-01"), headers=headers)
    client.get(JSON.format("TANTIEN-01"), headers={})
    client.post(REPORTS.format("TANTIEN-01"), headers=headers,
                json={"plays": [_play(1, "sang@20300304T230000Z#1.1")]})
    text = client.get("/metrics").text
    route = 'route="/api/v1/stations/{code}/playlist.json"'
    assert f'broadcaster_http_requests_total{{{route},status="200"}} 1.0' in text
    assert f'broadcaster_http_requests_total{{{route},status="401"}} 1.0' in text
    assert "broadcaster_report_plays_total 1.0" in text
    assert "broadcaster_publication 1.0" in text
    assert "broadcaster_longpoll_waiting 0.0" in text
