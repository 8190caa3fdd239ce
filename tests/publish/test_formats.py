"""Publication formats: JSON manifest, M3U8, XMLTV (against our DTD) and iCalendar round trips."""

from __future__ import annotations

import configparser
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from lxml import etree

import broadcaster.publish as publish
from broadcaster.errors import InputError
from broadcaster.publish import (
    FORMATS,
    Media,
    Playlist,
    PlaylistItem,
    StationInfo,
    icalendar_feed,
    xmltv,
    xmltv_dtd,
)
from tests.publish.render import content_digest, manifest_json, playlist_m3u8
from tests.publish.render import render as rendered

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DTD_PATH = Path(publish.__file__).parent / "xmltv.dtd"
LONG_TITLE = ("Bản tin sáng: Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, "
              "đổi mới sáng tạo và chuyển đổi số quốc gia")

STATION = StationInfo("BS-RADIO", "Đài Phát thanh Bình Sơn", "radio", "Asia/Ho_Chi_Minh")
COMMUNE = StationInfo("XA-TAN-AN", "Đài truyền thanh xã Tân An", "loudspeaker",
                      "Asia/Ho_Chi_Minh")
WINDOW = (datetime(2026, 5, 3, 17, 0, tzinfo=UTC), datetime(2026, 5, 10, 17, 0, tzinfo=UTC))
GENERATED = datetime(2026, 5, 3, 16, 30, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A wall-clock time in Vietnam, as the aware UTC instant the formats take."""
    return datetime(year, month, day, hour, minute, second, tzinfo=VN).astimezone(UTC)


def media(n: int = 1, duration_ms: int = 900_000, ext: str = "mp3") -> Media:
    return Media(f"{n:064x}", ext, 100_000 + n, duration_ms)


@pytest.fixture
def make_item() -> Callable[..., PlaylistItem]:
    """Factory: an item starting at a local wall-clock time, lasting ``minutes``."""
    def make(start: datetime, minutes: float = 15, **kw: Any) -> PlaylistItem:
        stamp = start.strftime("%Y%m%dT%H%M%SZ")
        fields: dict[str, Any] = {
            "id": f"sang@{stamp}#1.1", "title": "Bản tin sáng", "start": start,
            "end": start + timedelta(minutes=minutes), "priority": "normal",
            "media": media(duration_ms=int(minutes * 60_000)), "entry_id": "sang"}
        fields.update(kw)
        return PlaylistItem(**fields)
    return make


@pytest.fixture
def week(make_item: Callable[..., PlaylistItem]) -> list[PlaylistItem]:
    """A week of morning and evening sessions, one resumed part and one emergency."""
    items = []
    for day in range(4, 11):
        items.append(make_item(local(2026, 5, day, 6, 0), title=LONG_TITLE,
                               id=f"sang@{day}#1.1", media=media(day)))
        items.append(make_item(local(2026, 5, day, 17, 30), 30, title="Thời sự chiều",
                               id=f"chieu@{day}#1.1", entry_id="chieu", media=media(100 + day,
                               duration_ms=1_800_000), description="Tin tức trong tỉnh"))
    items.append(make_item(local(2026, 5, 5, 9, 0), 5, id="bao@5#1.1", priority="emergency",
                           title="Thông báo khẩn: bão số 3 đổ bộ", media=media(7)))
    items.append(make_item(local(2026, 5, 5, 9, 5), 10, id="sang@5#2.1", offset_ms=125_500,
                           title=LONG_TITLE, media=media(5)))
    return items


def with_item_changed(items: list[PlaylistItem], **changes: Any) -> list[PlaylistItem]:
    return [dataclasses.replace(items[0], **changes), *items[1:]]


# -- JSON manifest -----------------------------------------------------------------------------


def test_manifest_fields_and_times(week: list[PlaylistItem]) -> None:
    raw = manifest_json(STATION, 12, WINDOW, week, GENERATED)
    doc = json.loads(raw)
    assert set(doc) == {"station", "publication", "window", "digest", "items", "generated_at"}
    assert doc["station"] == {"code": "BS-RADIO", "name": "Đài Phát thanh Bình Sơn",
                              "kind": "radio", "timezone": "Asia/Ho_Chi_Minh"}
    assert doc["publication"] == 12
    assert doc["window"] == {"start": "2026-05-03T17:00:00Z", "end": "2026-05-10T17:00:00Z"}
    assert doc["generated_at"] == "2026-05-03T16:30:00Z"
    assert doc["digest"] == content_digest(STATION, WINDOW, week)
    assert len(doc["items"]) == len(week)
    first = doc["items"][0]
    assert first == {
        "id": "sang@4#1.1", "title": LONG_TITLE,
        "start": "2026-05-03T23:00:00Z", "end": "2026-05-03T23:15:00Z",
        "start_local": "2026-05-04T06:00:00+07:00", "end_local": "2026-05-04T06:15:00+07:00",
        "priority": "normal", "offset_ms": 0,
        "media": {"url": f"/media/{4:064x}.mp3", "sha256": f"{4:064x}", "bytes": 100_004,
                  "duration_ms": 900_000}}
    resumed = next(i for i in doc["items"] if i["id"] == "sang@5#2.1")
    assert resumed["offset_ms"] == 125_500
    assert resumed["start_local"] == "2026-05-05T09:05:00+07:00"
    # Every item comes back as the same instants, in play order.
    starts = [datetime.fromisoformat(i["start"]) for i in doc["items"]]
    assert starts == sorted(i.start for i in week)
    for item in doc["items"]:
        assert item["start"].endswith("Z") and item["end"].endswith("Z")
        assert item["start_local"].endswith("+07:00")
        assert datetime.fromisoformat(item["start"]) == datetime.fromisoformat(item["start_local"])


def test_manifest_text_format(week: list[PlaylistItem]) -> None:
    raw = manifest_json(STATION, 12, WINDOW, week, GENERATED)
    text = raw.decode("utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert "Đài Phát thanh Bình Sơn" in text      # not \u escaped
    assert text.splitlines()[1].startswith('  "digest": ')
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True,
                              indent=2) + "\n"


def test_manifest_keeps_milliseconds(make_item: Callable[..., PlaylistItem]) -> None:
    start = local(2026, 5, 4, 6, 3, 5) + timedelta(milliseconds=250)
    doc = json.loads(manifest_json(STATION, 1, WINDOW, [make_item(start)], GENERATED))
    assert doc["items"][0]["start"] == "2026-05-03T23:03:05.250Z"
    assert doc["items"][0]["start_local"] == "2026-05-04T06:03:05.250+07:00"


def test_every_format_is_byte_identical_for_the_same_input(week: list[PlaylistItem]) -> None:
    shuffled = list(reversed(week))
    assert manifest_json(STATION, 3, WINDOW, week, GENERATED) == \
        manifest_json(STATION, 3, WINDOW, shuffled, GENERATED)
    assert playlist_m3u8(STATION, week) == playlist_m3u8(STATION, shuffled)
    assert xmltv([(STATION, week)], GENERATED) == xmltv([(STATION, shuffled)], GENERATED)
    assert icalendar_feed(STATION, week) == icalendar_feed(STATION, shuffled)
    assert content_digest(STATION, WINDOW, week) == content_digest(STATION, WINDOW, shuffled)


def test_digest_ignores_bookkeeping(week: list[PlaylistItem]) -> None:
    """Generation time, publication number and the window's ends do not move the digest."""
    first = json.loads(manifest_json(STATION, 3, WINDOW, week, GENERATED))
    later_window = (WINDOW[0] + timedelta(hours=1), WINDOW[1] + timedelta(days=1))
    second = json.loads(manifest_json(STATION, 4, later_window, week,
                                      GENERATED + timedelta(hours=1)))
    assert first["digest"] == second["digest"]
    assert first["generated_at"] != second["generated_at"]
    # publication.diff() passes naive placeholder bounds: they must not matter either.
    assert content_digest(STATION, (datetime.min, datetime.max), week) == first["digest"]
    assert len(first["digest"]) == 64 and int(first["digest"], 16) >= 0


@pytest.mark.parametrize("change", [
    {"start": local(2026, 5, 4, 6, 1)},
    {"end": local(2026, 5, 4, 6, 14)},
    {"offset_ms": 1},
    {"priority": "high"},
    {"title": "Bản tin trưa"},
    {"id": "sang@4#1.2"},
    {"media": media(99)},
    {"media": media(4, duration_ms=899_999)},
])
def test_digest_changes_when_an_item_changes(week: list[PlaylistItem],
                                             change: dict[str, Any]) -> None:
    before = content_digest(STATION, WINDOW, week)
    assert content_digest(STATION, WINDOW, with_item_changed(week, **change)) != before


def test_digest_changes_when_items_come_or_go(week: list[PlaylistItem]) -> None:
    digest = content_digest(STATION, WINDOW, week)
    assert content_digest(STATION, WINDOW, week[1:]) != digest
    assert content_digest(STATION, WINDOW, []) != digest
    other = dataclasses.replace(STATION, code="BS-TV")
    assert content_digest(other, WINDOW, week) != digest


@pytest.mark.parametrize(("change", "message"), [
    ({"start": datetime(2026, 5, 4, 6, 0)}, "has no time zone"),
    ({"end": local(2026, 5, 4, 6, 0)}, "is not after start"),
    ({"priority": "urgent"}, "unknown priority 'urgent'"),
    ({"offset_ms": -1}, "negative offset_ms"),
])
def test_bad_items_are_refused_by_name(make_item: Callable[..., PlaylistItem],
                                       change: dict[str, Any], message: str) -> None:
    item = dataclasses.replace(make_item(local(2026, 5, 4, 6, 0)), **change)
    for render in (lambda: playlist_m3u8(STATION, [item]),
                   lambda: content_digest(STATION, WINDOW, [item])):
        with pytest.raises(InputError, match=message) as caught:
            render()
        assert f"item {item.id}" in str(caught.value)


def test_duplicate_ids_and_unknown_zones_are_refused(
        make_item: Callable[..., PlaylistItem]) -> None:
    item = make_item(local(2026, 5, 4, 6, 0))
    with pytest.raises(InputError, match="appears twice"):
        icalendar_feed(STATION, [item, dataclasses.replace(item, start=local(2026, 5, 4, 7, 0),
                                                           end=local(2026, 5, 4, 7, 15))])
    with pytest.raises(InputError, match="unknown time zone 'Asia/Sai_Gon'"):
        manifest_json(dataclasses.replace(STATION, timezone="Asia/Sai_Gon"), 1, WINDOW,
                      [item], GENERATED)
    with pytest.raises(InputError, match="window end"):
        manifest_json(STATION, 1, (WINDOW[0], datetime(2026, 5, 10)), [item], GENERATED)


# -- M3U8 ----------------------------------------------------------------------------------------


def parse_m3u(text: str) -> list[dict[str, Any]]:
    """A strict line-by-line reader: tags gather until the URI line that closes the entry."""
    lines = text.split("\n")
    assert lines[0] == "#EXTM3U" and lines[-1] == ""
    entries: list[dict[str, Any]] = []
    current: dict[str, Any] = {"vlcopt": {}}
    for line in lines[1:-1]:
        assert line and line == line.strip(), f"blank or padded line {line!r}"
        if line.startswith("#EXTINF:"):
            duration, title = line[len("#EXTINF:"):].split(",", 1)
            current.update(duration=float(duration), title=title)
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            current["at"] = line.split(":", 1)[1]
        elif line.startswith("#EXTVLCOPT:"):
            key, value = line[len("#EXTVLCOPT:"):].split("=", 1)
            current["vlcopt"][key] = float(value)
        elif line.startswith("#PLAYLIST:"):
            assert not entries and "title" not in current
        else:
            assert not line.startswith("#"), f"unexpected tag {line!r}"
            entries.append({**current, "uri": line})
            current = {"vlcopt": {}}
    assert current == {"vlcopt": {}}, "tags after the last URI"
    return entries


def test_m3u8_entries_match_items(week: list[PlaylistItem]) -> None:
    raw = playlist_m3u8(STATION, week)
    text = raw.decode("utf-8")
    assert text.startswith("#EXTM3U\n#PLAYLIST:Đài Phát thanh Bình Sơn\n")
    entries = parse_m3u(text)
    items = sorted(week, key=lambda i: i.start)
    assert [e["uri"] for e in entries] == [i.media.url for i in items]
    assert [e["title"] for e in entries] == [i.title for i in items]
    assert [e["duration"] for e in entries] == [(i.end - i.start).total_seconds() for i in items]
    for entry, item in zip(entries, items, strict=True):
        at = entry["at"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00", at), at
        assert datetime.fromisoformat(at) == item.start
    assert entries[0]["at"] == "2026-05-04T06:00:00.000+07:00"
    assert entries[0]["duration"] == 900
    for tag in ("TARGETDURATION", "MEDIA-SEQUENCE", "ENDLIST", "STREAM-INF", "VERSION"):
        assert f"#EXT-X-{tag}" not in text      # HLS-only tags would turn players to HLS mode


def test_m3u8_offsets_for_resumed_and_shortened_parts(
        make_item: Callable[..., PlaylistItem]) -> None:
    whole = make_item(local(2026, 5, 4, 6, 0), 15, id="a")
    resumed = make_item(local(2026, 5, 4, 6, 15), 10, id="b", offset_ms=125_500,
                        media=media(2, duration_ms=725_500))
    cut = make_item(local(2026, 5, 4, 6, 25), 5, id="c", media=media(3, duration_ms=600_000))
    both = make_item(local(2026, 5, 4, 6, 30), 1, id="d", offset_ms=30_000,
                     media=media(4, duration_ms=600_000))
    entries = parse_m3u(playlist_m3u8(STATION, [whole, resumed, cut, both]).decode())
    assert [e["vlcopt"] for e in entries] == [
        {},
        {"start-time": 125.5},                       # plays to the end of its file
        {"stop-time": 300.0},
        {"start-time": 30.0, "stop-time": 90.0},
    ]
    assert [e["duration"] for e in entries] == [900, 600, 300, 60]


def test_m3u8_sub_second_durations_and_one_line_titles(
        make_item: Callable[..., PlaylistItem]) -> None:
    item = make_item(local(2026, 5, 4, 6, 0), title="Tin sáng\nphần 1, trực tiếp",
                     end=local(2026, 5, 4, 6, 0) + timedelta(milliseconds=183_456),
                     media=media(duration_ms=183_456))
    text = playlist_m3u8(STATION, [item]).decode()
    assert "#EXTINF:183.456,Tin sáng phần 1, trực tiếp\n" in text
    assert parse_m3u(text)[0]["title"] == "Tin sáng phần 1, trực tiếp"


def test_m3u8_empty_playlist() -> None:
    assert playlist_m3u8(COMMUNE, []) == "#EXTM3U\n#PLAYLIST:Đài truyền thanh xã Tân An\n".encode()


# -- PLS -----------------------------------------------------------------------------------------


def parse_pls(raw: bytes) -> list[dict[str, str]]:
    """A PLS file read as INI (as players read it), checked for its count and version."""
    text = raw.decode("utf-8")
    assert text.startswith("[playlist]\n") and text.endswith("\nVersion=2\n")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    assert parser.sections() == ["playlist"]
    section = parser["playlist"]
    count = int(section["NumberOfEntries"])
    assert set(section) == {"NumberOfEntries", "Version",
                            *(f"{key}{n}" for n in range(1, count + 1)
                              for key in ("File", "Title", "Length"))}
    return [{key: section[f"{key}{n}"] for key in ("File", "Title", "Length")}
            for n in range(1, count + 1)]


def test_pls_entries_match_items(week: list[PlaylistItem]) -> None:
    relay = dataclasses.replace(week[1], relay_url="http://radio.example/live")
    items = [week[0], relay, *week[2:]]
    entries = parse_pls(rendered("pls", STATION, list(reversed(items))))
    ordered = sorted(items, key=lambda i: i.start)
    assert [e["File"] for e in entries] == \
        [i.relay_url or i.media.url for i in ordered]
    assert [e["Title"] for e in entries] == [i.title for i in ordered]
    assert [int(e["Length"]) for e in entries] == \
        [-1 if i.relay_url else int((i.end - i.start).total_seconds()) for i in ordered]
    assert parse_pls(rendered("pls", COMMUNE, [])) == []


def test_pls_is_shared_by_every_station_of_a_playlist(week: list[PlaylistItem]) -> None:
    """The body names no station: stations of one commune get the same bytes."""
    assert rendered("pls", STATION, week) == rendered("pls", COMMUNE, week)
    served = FORMATS["pls"].serve(rendered("pls", STATION, week), "http://dai.example:8080")
    files = [e["File"] for e in parse_pls(served)]
    assert files and all(f.startswith("http://dai.example:8080/media/") for f in files)


# -- XMLTV ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dtd() -> etree.DTD:
    return etree.DTD(str(DTD_PATH))


def test_xmltv_validates_against_our_dtd(week: list[PlaylistItem], dtd: etree.DTD) -> None:
    raw = xmltv([(STATION, week)], GENERATED)
    root = etree.fromstring(raw)
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    head = raw.decode("utf-8").splitlines()[:2]
    assert head == ["<?xml version='1.0' encoding='UTF-8'?>",
                    '<!DOCTYPE tv SYSTEM "xmltv.dtd">']


def test_xmltv_doctype_resolves_next_to_the_file(week: list[PlaylistItem],
                                                 tmp_path: Path) -> None:
    """As published: the guide and xmltv.dtd side by side, validated through the DOCTYPE."""
    (tmp_path / "xmltv.dtd").write_bytes(xmltv_dtd())
    guide = tmp_path / "BS-RADIO.xml"
    guide.write_bytes(xmltv([(STATION, week)], GENERATED))
    parser = etree.XMLParser(dtd_validation=True, no_network=True)
    tree = etree.parse(str(guide), parser)
    assert tree.docinfo.system_url == "xmltv.dtd"
    assert xmltv_dtd() == DTD_PATH.read_bytes()


def test_xmltv_times_and_vietnamese_text(week: list[PlaylistItem]) -> None:
    root = etree.fromstring(xmltv([(STATION, week)], GENERATED))
    assert root.get("date") == "20260503163000 +0000"
    channel = root.find("channel")
    assert channel is not None and channel.get("id") == "bs-radio.broadcaster.invalid"
    name = channel.find("display-name")
    assert name is not None and name.text == "Đài Phát thanh Bình Sơn" and name.get("lang") == "vi"
    programmes = root.findall("programme")
    items = sorted(week, key=lambda i: i.start)
    assert len(programmes) == len(items)
    for programme, item in zip(programmes, items, strict=True):
        assert programme.get("channel") == "bs-radio.broadcaster.invalid"
        for attr, when in (("start", item.start), ("stop", item.end)):
            value = programme.get(attr)
            assert re.fullmatch(r"\d{14} \+0700", value), value
            assert datetime.strptime(value, "%Y%m%d%H%M%S %z") == when
        assert programme.findtext("title") == item.title
        assert programme.find("title").get("lang") == "vi"
        assert programme.findtext("desc") == (item.description or None)
        categories = {c.get("lang"): c.text for c in programme.findall("category")}
        assert categories["en"] == item.priority
    assert programmes[0].get("start") == "20260504060000 +0700"
    emergency = next(p for p in programmes if p.findtext("category") == "emergency")
    assert emergency.findtext("title") == "Thông báo khẩn: bão số 3 đổ bộ"
    assert emergency.find("category[@lang='vi']").text == "Khẩn cấp"


def test_xmltv_several_channels(week: list[PlaylistItem], make_item: Callable[..., PlaylistItem],
                                dtd: etree.DTD) -> None:
    tv = dataclasses.replace(STATION, code="BS-TV", name="Truyền hình Bình Sơn", kind="tv")
    late = make_item(local(2026, 5, 4, 23, 45) + timedelta(milliseconds=900), 30, id="khuya")
    root = etree.fromstring(xmltv([(STATION, week), (tv, [late])], GENERATED))
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    assert [c.tag for c in root][:2] == ["channel", "channel"]     # channels before programmes
    # Channel ids are RFC 2838 names (here under the default domain), never the bare code.
    assert [c.get("id") for c in root.findall("channel")] == \
        ["bs-radio.broadcaster.invalid", "bs-tv.broadcaster.invalid"]
    last = root.findall("programme")[-1]
    # Whole seconds: the fraction is dropped; the programme runs past midnight local time.
    assert (last.get("channel"), last.get("start"), last.get("stop")) == (
        "bs-tv.broadcaster.invalid", "20260504234500 +0700", "20260505001500 +0700")
    named = etree.fromstring(xmltv([(STATION, week), (tv, [late])], GENERATED,
                                   {"BS-RADIO": "bs-radio.binhson.example",
                                    "BS-TV": "truyenhinh.binhson.gov.vn"}))
    assert [c.get("id") for c in named.findall("channel")] == \
        ["bs-radio.binhson.example", "truyenhinh.binhson.gov.vn"]
    assert {p.get("channel") for p in named.findall("programme")} == \
        {"bs-radio.binhson.example", "truyenhinh.binhson.gov.vn"}
    with pytest.raises(InputError, match="both have the XMLTV channel id"):
        xmltv([(STATION, week), (tv, [late])], GENERATED, {"BS-TV": "bs-radio.broadcaster.invalid"})
    with pytest.raises(InputError, match="channel BS-TV is given twice"):
        xmltv([(tv, []), (tv, [late])], GENERATED)
    with pytest.raises(InputError, match="item khuya: text that XML cannot hold"):
        xmltv([(tv, [dataclasses.replace(late, title="Tin\x00tức")])], GENERATED)


@pytest.mark.parametrize("broken", [
    '<tv><programme start="20260504060000 +0700"><title>x</title></programme></tv>',
    '<tv><programme start="20260504060000 +0700" channel="A"></programme></tv>',
    '<tv><programme channel="A"><title>x</title></programme></tv>',
    '<tv><channel id="A"/></tv>',
    '<tv><channel><display-name>A</display-name></channel></tv>',
    '<tv><programme start="1" channel="A"><title>x</title><rating>y</rating></programme></tv>',
    '<tv><programme start="1" channel="A"><category>c</category><title>x</title></programme></tv>',
])
def test_our_dtd_rejects_what_xmltv_does_not_allow(broken: str, dtd: etree.DTD) -> None:
    assert not dtd.validate(etree.fromstring(broken))


def test_dtd_says_it_is_our_subset() -> None:
    head = DTD_PATH.read_text(encoding="utf-8")[:600]
    assert head.startswith("<!--") and "SUBSET" in head and "NOT" in head


# -- iCalendar -----------------------------------------------------------------------------------


def occurrences(raw: bytes, start: datetime, stop: datetime) -> list[tuple[Any, ...]]:
    cal = icalendar.Calendar.from_ical(raw)
    events = recurring_ical_events.of(cal).between(start, stop)
    return sorted((e["DTSTART"].dt, e["DTEND"].dt, str(e["UID"]), str(e["SUMMARY"]))
                  for e in events)


def expected(items: list[PlaylistItem], start: datetime, stop: datetime) -> list[tuple[Any, ...]]:
    return sorted((i.start, i.end, f"{i.id}@broadcaster", i.title)
                  for i in items if i.start < stop and i.end > start)


def test_icalendar_round_trip_over_the_window(week: list[PlaylistItem]) -> None:
    raw = icalendar_feed(STATION, week)
    got = occurrences(raw, *WINDOW)
    assert got == expected(week, *WINDOW)
    assert len(got) == len(week)
    for start, end, _, _ in got:
        assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=7)
        assert end.tzinfo is not None
    assert LONG_TITLE in {summary for *_, summary in got}


@pytest.mark.parametrize(("start", "stop"), [
    (local(2026, 5, 5, 0, 0), local(2026, 5, 6, 0, 0)),          # one local day
    (local(2026, 5, 5, 9, 3), local(2026, 5, 5, 9, 7)),          # cuts through two items
    (local(2026, 5, 4, 6, 15), local(2026, 5, 4, 17, 30)),       # touches both ends exactly
])
def test_icalendar_round_trip_across_window_boundaries(
        week: list[PlaylistItem], start: datetime, stop: datetime) -> None:
    assert occurrences(icalendar_feed(STATION, week), start, stop) == expected(week, start, stop)


def test_icalendar_round_trip_across_the_year_end(make_item: Callable[..., PlaylistItem]) -> None:
    items = [make_item(local(2026, 12, 31, 23, 50), 20, id="giao-thua", priority="high",
                       title="Chúc mừng năm mới 2027"),
             make_item(local(2027, 1, 1, 6, 0), 15, id="sang@20270101")]
    raw = icalendar_feed(STATION, items)
    year_start = local(2027, 1, 1, 0, 0)
    assert occurrences(raw, year_start, local(2027, 1, 2, 0, 0)) == \
        expected(items, year_start, local(2027, 1, 2, 0, 0))
    assert [u for _, _, u, _ in occurrences(raw, year_start, local(2027, 1, 1, 0, 1))] == \
        ["giao-thua@broadcaster"]
    assert len(occurrences(raw, local(2026, 12, 31, 0, 0), year_start)) == 1


def test_icalendar_properties(week: list[PlaylistItem]) -> None:
    raw = icalendar_feed(STATION, week)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "Đài Phát thanh Bình Sơn"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    events = cal.events
    assert len(events) == len(week)
    by_uid = {str(e["UID"]): e for e in events}
    for item in week:
        event = by_uid[f"{item.id}@broadcaster"]
        assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
        assert event.categories == [item.priority]
        assert str(event["X-BROADCASTER-SHA256"]) == item.media.sha256
        assert str(event["SUMMARY"]) == item.title
        assert str(event.get("DESCRIPTION", "")) == item.description
        assert "RRULE" not in event
        assert event.DTSTAMP == item.start
    assert str(by_uid["sang@5#2.1@broadcaster"]["X-BROADCASTER-OFFSET-MS"]) == "125500"


def test_icalendar_drops_sub_second_fractions(make_item: Callable[..., PlaylistItem]) -> None:
    start = local(2026, 5, 4, 6, 0) + timedelta(milliseconds=999)
    item = make_item(start, 1)
    [(got_start, got_end, _, _)] = occurrences(icalendar_feed(STATION, [item]), *WINDOW)
    assert got_start == local(2026, 5, 4, 6, 0)
    assert got_end == local(2026, 5, 4, 6, 1)


def test_package_reexports_the_formats() -> None:
    assert set(publish.__all__) >= {"Media", "PlaylistItem", "StationInfo", "FORMATS",
                                    "Playlist", "xmltv", "icalendar_feed"}
    assert Media("ab", "opus", 1, 1).url == "/media/ab.opus"


# -- pinned bytes ------------------------------------------------------------------------------


PINS = {
    "digest": "06204caefbd9f57e3a7279b499ccd74b6ac03c9de74311c52852e4aa0adc2a53",
    "playlist.json": "5d786135620e3522b4fdee27f359dc11cffdbb353ad6de334e9be72fc8e788aa",
    "playlist.m3u8": "b27a60dc6506839e028439aac05440329ae1b1f36e4707998f7d631627430011",
    "xmltv": "992b32c2cffe4a7fefb4bb6151fb87574ca4eb6538e60dd6e0e3458f21d054e1",
    "ical": "afe0f902e507807fcf1daafdcf558ffdde64216166c693a0772aba9fe3f28ac7",
    "playlist.pls": "057905c4ddcc98df067f9c4a38c33716d886731bffe9aa98e06e4b326f6c5a75",
}


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def test_every_format_writes_the_pinned_bytes(week: list[PlaylistItem]) -> None:
    """Digests are ETags and file digests: a change to any byte makes every station download
    its playlist again. Change these literals only on purpose."""
    relay = dataclasses.replace(week[1], relay_url="http://radio.example/live")
    items = [week[0], relay, *week[2:]]
    assert content_digest(STATION, WINDOW, items) == PINS["digest"]
    assert _sha(manifest_json(STATION, 12, WINDOW, items, GENERATED)) == PINS["playlist.json"]
    assert _sha(playlist_m3u8(STATION, items)) == PINS["playlist.m3u8"]
    assert _sha(xmltv([(STATION, items)], GENERATED)) == PINS["xmltv"]
    assert _sha(icalendar_feed(STATION, items)) == PINS["ical"]
    assert _sha(rendered("pls", STATION, items)) == PINS["playlist.pls"]


def test_the_manifest_splice_is_plain_json(week: list[PlaylistItem]) -> None:
    """The manifest writes the shared items text into each station's document (the fast path
    for 10,000 stations): it must read back as, and be written exactly like, the plain dict."""
    raw = manifest_json(STATION, 12, WINDOW, week, GENERATED)
    plain = {"digest": content_digest(STATION, WINDOW, week),
             "generated_at": "2026-05-03T16:30:00Z",
             "items": Playlist(STATION, week).dicts, "publication": 12,
             "station": {"code": "BS-RADIO", "name": "Đài Phát thanh Bình Sơn", "kind": "radio",
                         "timezone": "Asia/Ho_Chi_Minh"},
             "window": {"start": "2026-05-03T17:00:00Z", "end": "2026-05-10T17:00:00Z"}}
    assert json.loads(raw) == plain
    assert raw == (json.dumps(plain, ensure_ascii=False, sort_keys=True, indent=2)
                   + "\n").encode()


def test_the_registry_names_every_format() -> None:
    assert [(f.name, f.file_name, f.scope, f.served) for f in FORMATS.values()] == [
        ("manifest", "playlist.json", "station", True),
        ("m3u8", "playlist.m3u8", "station", True),
        ("xmltv", "{code}.xml", "channel", False),
        ("ical", "{code}.ics", "channel", False),
        ("pls", "playlist.pls", "station", True),
    ]
    assert FORMATS["xmltv"].file_for(STATION) == "BS-RADIO.xml"
