"""The agent reads the server's own manifests (made here through broadcaster.publish.formats)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from broadcaster.agent.playlist import ManifestError, parse_manifest
from tests.agent.conftest import T0, make_item, manifest_bytes


def test_a_server_manifest_reads_back_item_for_item() -> None:
    items = [make_item("sang@20261127T030000Z#1.1", 0, 60, title="Thời sự buổi sáng"),
             make_item("sang@20261127T030000Z#2.1", 90, 120, offset_ms=60_000),
             make_item("vov@X#1.1", 120, 180, "high", relay_url="http://radio.example.vn/a")]
    manifest = parse_manifest(manifest_bytes(items, publication=7))
    assert manifest.publication == 7 and manifest.station == "TANTIEN-01"
    assert manifest.timezone == "Asia/Ho_Chi_Minh" and len(manifest.digest) == 64
    assert manifest.items == tuple(items)
    assert manifest.window_end == T0 + timedelta(days=2)
    assert set(manifest.media()) == {i.media.sha256 for i in items}


def _manifest(**item: object) -> bytes:
    base = json.loads(manifest_bytes([make_item("a@X#1.1", 0, 60), make_item("b@X#1.1", 60, 90,
                                                                              "emergency")]))
    base["items"][0].update(item)
    return json.dumps(base).encode()


@pytest.mark.parametrize(("change", "message"), [
    ({"priority": "urgent"}, "items.0 (a@X#1.1).priority: 'urgent' is not one of"),
    ({"start": "2026-11-27T03:00:00"}, "has no time zone"),
    ({"end": "2026-11-27T02:00:00Z"}, "is not after start"),
    ({"offset_ms": -1}, "offset_ms: expected a whole number from 0"),
    ({"offset_ms": 2**63}, "offset_ms: expected a whole number from 0 to 9223372036854775807"),
    ({"media": {"url": "/media/x.mp3", "sha256": "../../etc/passwd", "bytes": 1,
                "duration_ms": 1}}, "is not a sha256"),
    ({"media": {"url": "/media/noext", "sha256": "a" * 64, "bytes": 1, "duration_ms": 1}},
     "does not end in a file extension"),
    # Out of range: the year 10000 in UTC (it raised OverflowError and killed the poller),
    # the year 1, and a time too far out for the agent's arithmetic.
    ({"end": "9999-12-31T23:59:59-01:00"},
     "items.0 (a@X#1.1).end: '9999-12-31T23:59:59-01:00' is out of range"),
    ({"start": "0001-01-01T00:00:00+01:00"},
     ".start: '0001-01-01T00:00:00+01:00' is out of range"),
    ({"end": "9999-12-31T23:59:59Z"}, "is out of range"),
    # The declared size bounds the download: it must be there and positive.
    ({"media": {"url": "/media/x.mp3", "sha256": "a" * 64, "bytes": 0, "duration_ms": 1}},
     "media.bytes: expected a whole number from 1"),
    ({"media": {"url": "/media/x.mp3", "sha256": "a" * 64, "duration_ms": 1}},
     "media.bytes: expected a whole number from 1"),
    ({"id": "x@" + "a" * 400}, ".id: expected 1 to 300 characters"),
])
def test_bad_items_are_left_out_naming_the_field(change: dict[str, object],
                                                 message: str) -> None:
    manifest = parse_manifest(_manifest(**change))
    (refused,) = manifest.refused
    assert message in refused
    # The other item (an emergency here) is kept: one bad item cannot silence a station.
    assert [i.id for i in manifest.items] == ["b@X#1.1"]
    assert manifest.items[0].priority == "emergency"


def test_an_id_named_twice_keeps_the_first() -> None:
    manifest = parse_manifest(_manifest(id="b@X#1.1"))
    assert manifest.refused == ("items.1 (b@X#1.1): the id is named twice; left out",)
    assert [(i.id, i.priority) for i in manifest.items] == [("b@X#1.1", "normal")]


def _playlist(**fields: object) -> bytes:
    base = json.loads(manifest_bytes([make_item("a@X#1.1", 0, 60)]))
    base.update(fields)
    return json.dumps(base).encode()


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>", "not JSON"),
    (b'{"publication": 1}', "no 'items' list"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    (_playlist(publication=2**63), "playlist.publication: expected a whole number from 1 to"),
    (_playlist(publication=0), "playlist.publication: expected a whole number from 1 to"),
    (_playlist(digest="x" * 10_000), "playlist.digest: 10000 characters is too long"),
    (_playlist(digest="../etc"), "is not a digest"),
    (_playlist(window={"end": "9999-12-31T23:59:59-01:00"}), "window.end: "),
])
def test_a_playlist_the_agent_cannot_use_is_refused_whole(body: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=re.escape(message)):
        parse_manifest(body)


def test_a_station_zone_that_is_no_zone_name_is_not_used() -> None:
    assert parse_manifest(_playlist(station={"code": "X", "timezone": "../../etc"})
                          ).timezone == "Asia/Ho_Chi_Minh"
    assert parse_manifest(_playlist(station={"code": "X", "timezone": "Asia/Bangkok"})
                          ).timezone == "Asia/Bangkok"
