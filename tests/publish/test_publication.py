"""Plan, show, publish, diff and roll back, through the CLI, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar
from lxml import etree
from sqlalchemy import text

from broadcaster.app import App
from broadcaster.errors import DiskFull, NotFound
from broadcaster.publish import folders, prune, publication
from tests.helpers import SCHEDULE

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_show_resolves_the_day_with_the_emergency(run) -> None:  # type: ignore[no-untyped-def]
    day = json.loads(run("schedule", "show", "--station", "TANTIEN-01", "--date",
                         "2030-03-04", "--json").stdout)  # a Monday
    items = day["items"]
    assert [(i["entry"], i["part"]) for i in items] == [("sang", 1), ("lu", 1), ("sang", 2),
                                                         ("chieu", 1)]
    assert items[0]["start"] == "2030-03-04T06:00:00+07:00"
    assert items[1]["start"] == "2030-03-04T06:00:05+07:00" and items[1]["priority"] == "emergency"
    assert items[2]["start"] == items[1]["end"] and items[2]["offset_s"] == pytest.approx(5.0)
    assert day["conflicts"][0]["resolution"] == "preempted"
    other = json.loads(run("schedule", "show", "--station", "HOALOC-01", "--date",
                           "2030-03-05", "--json").stdout)  # Tuesday: no evening slot
    assert [i["entry"] for i in other["items"]] == ["sang"]
    text = run("schedule", "show", "--station", "TANTIEN-01", "--date", "2030-03-04").stdout
    assert "06:00:05" in text and "conflict preempted" in text


def publish(run, *extra: str) -> int:  # type: ignore[no-untyped-def]
    out = run("publish", "--days", "2", *extra).stdout.splitlines()
    assert out[-1].startswith("publication ")
    return int(out[-1].split()[1])


def test_publish_writes_every_format_atomically(run) -> None:  # type: ignore[no-untyped-def]
    number = publish(run)
    home: Path = run.home
    current = home / "publications" / "current"
    assert current.is_symlink() and os.readlink(current) == f"{number:06d}"
    folder = home / "publications" / f"{number:06d}"
    index = json.loads((folder / "index.json").read_text())
    assert set(index["stations"]) == {"TANTIEN-01", "HOALOC-01", "PTTH-BS"}
    manifest = json.loads((folder / "stations/TANTIEN-01/playlist.json").read_text())
    assert manifest["digest"] == index["stations"]["TANTIEN-01"]["digest"]
    assert manifest["items"], "the next two days hold morning bulletins"
    for item in manifest["items"]:
        media = item["media"]
        path = home / "media" / media["sha256"][:2] / f"{media['sha256']}.mp3"
        assert path.stat().st_size == media["bytes"]
        assert item["start"].endswith("Z") and item["start_local"].endswith("+07:00")
    m3u = (folder / "stations/TANTIEN-01/playlist.m3u8").read_text().splitlines()
    assert m3u[0] == "#EXTM3U" and any(line.startswith("/media/") for line in m3u)
    # Radio channels also get XMLTV (valid against the DTD next to it) and iCalendar.
    xml = folder / "channels" / "PTTH-BS.xml"
    dtd = etree.DTD(str(folder / "channels" / "xmltv.dtd"))
    assert dtd.validate(etree.parse(str(xml))), dtd.error_log
    assert not (folder / "channels" / "TANTIEN-01.xml").exists()
    # Unchanged: the same digests, and --diff says so.
    second = publish(run)
    assert second == number + 1
    again = json.loads((home / "publications" / f"{second:06d}" / "index.json").read_text())
    assert {c: v["digest"] for c, v in again["stations"].items()} == \
        {c: v["digest"] for c, v in index["stations"].items()}
    diff = run("publish", "--days", "2", "--diff").stdout.split()
    assert diff.count("unchanged") == 3


def test_icalendar_round_trips_to_schedule_show(run) -> None:  # type: ignore[no-untyped-def]
    number = publish(run)
    folder: Path = run.home / "publications" / f"{number:06d}"
    cal = Calendar.from_ical((folder / "channels" / "PTTH-BS.ics").read_bytes())
    manifest = json.loads((folder / "stations/PTTH-BS/playlist.json").read_text())
    first = datetime.fromisoformat(manifest["window"]["start"].replace("Z", "+00:00"))
    days = {(first + timedelta(days=d)).astimezone(HCM).date() for d in range(3)}
    shown = []
    for day in sorted(days):
        data = json.loads(run("schedule", "show", "--station", "PTTH-BS", "--date",
                              day.isoformat(), "--json").stdout)
        shown += [(datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]))
                  for i in data["items"]]
    start = datetime.fromisoformat(manifest["window"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(manifest["window"]["end"].replace("Z", "+00:00"))
    events = recurring_ical_events.of(cal).between(start, end)
    expanded = sorted((e["DTSTART"].dt, e["DTEND"].dt) for e in events)
    expected = sorted((s, e) for s, e in shown if e > start and s < end)
    assert expanded == [(s.replace(microsecond=0), e.replace(microsecond=0))
                        for s, e in expected]
    assert all(str(e["SUMMARY"]) == "Bản tin sáng" for e in events)


def test_diff_names_changed_stations_and_rollback(run) -> None:  # type: ignore[no-untyped-def]
    first = publish(run)
    edited = run.path.read_text(encoding="utf-8").replace(
        '{id: sang, programme: ban-tin, target: BS,', '{id: sang, programme: ban-tin, target: BS-TANTIEN,')
    run.path.write_text(edited, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    changes = dict(line.split()[:2][::-1] for line in
                   run("publish", "--days", "2", "--diff").stdout.splitlines())
    assert changes == {"TANTIEN-01": "unchanged", "HOALOC-01": "changed", "PTTH-BS": "changed"}
    second = publish(run)
    listed = json.loads(run("publications", "--json").stdout)
    assert [p["number"] for p in listed] == [second, first] and listed[0]["current"]
    rolled = run("publish", "--rollback", str(first)).stdout
    assert f"publication {second + 1} published (the content of publication {first})" in rolled
    home: Path = run.home
    a = json.loads((home / "publications" / f"{first:06d}" / "index.json").read_text())
    c = json.loads((home / "publications" / f"{second + 1:06d}" / "index.json").read_text())
    assert c["stations"] == {code: entry | {"in": first} for code, entry in a["stations"].items()}
    assert c["rollback_of"] == first
    assert os.readlink(home / "publications" / "current") == f"{second + 1:06d}"


def test_broken_rules_and_missing_media_publish_nothing(run) -> None:  # type: ignore[no-untyped-def]
    late = run.path.read_text(encoding="utf-8") + (
        '  - {id: khuya, programme: ban-tin, target: BS-HOALOC, start: "22:30", rrule: FREQ=DAILY}\n')
    run.path.write_text(late, encoding="utf-8")
    refused = run("schedule", "apply", str(run.path), code=1)
    assert "entries[3].start: 22:30 is outside the allowed hours 05:00-21:00 of station " \
        "HOALOC-01 (rule hours" in refused.stderr
    # Too many sessions can only be seen on the resolved schedule: publish refuses it.
    many = SCHEDULE + "".join(
        f'  - {{id: them-{h}, programme: ban-tin, target: BS-HOALOC, start: "{h}:00", '
        f'rrule: FREQ=DAILY}}\n' for h in (8, 10, 12))
    run.path.write_text(many, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    failed = run("publish", "--days", "2", code=1)
    assert "rule max_sessions_per_day" in failed.stderr and "HOALOC-01" in failed.stderr
    assert "nothing was published" in failed.stderr
    assert not (run.home / "publications" / "current").exists()
    run.path.write_text(SCHEDULE, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    number = publish(run)
    folder = run.home / "publications" / f"{number:06d}"
    sha = json.loads((folder / "stations/TANTIEN-01/playlist.json").read_text()
                     )["items"][0]["media"]["sha256"]
    media = run.home / "media" / sha[:2] / f"{sha}.mp3"
    # A damaged programme file is built again before publishing.
    good = media.read_bytes()
    media.write_bytes(b"damaged")
    publish(run)
    assert media.read_bytes() == good
    # A single clip that cannot be rebuilt stops the publication, naming it.
    spoken = next(c for c in json.loads(run("clips", "list", "--json").stdout)
                  if c["engine"] == "espeak")
    tomorrow = (datetime.now(HCM) + timedelta(days=1)).strftime("%Y-%m-%dT08:00:00")
    with_clip = SCHEDULE + (f'  - {{id: ghi-am, clip: {spoken["sha256"]}, target: HOALOC-01, '
                            f'start: "{tomorrow}"}}\n')
    run.path.write_text(with_clip, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    clip_file = run.home / "media" / spoken["sha256"][:2] / f"{spoken['sha256']}.mp3"
    clip_file.unlink()
    refused = run("publish", "--days", "2", code=1)
    assert "missing or damaged" in refused.stderr and spoken["sha256"] in refused.stderr


BULLETINS = SCHEDULE.replace(
    '  - {id: sang, programme: ban-tin, target: BS, start: "06:00", rrule: FREQ=DAILY, on_collision: preempt}',
    '  - {id: sang, programme: ban-tin, target: BS, start: "06:00", rrule: FREQ=DAILY, slot_minutes: 30}'
) + """\
  - {id: tiem-chung, programme: khan-cap, target: BS-XA, priority: normal, valid: {from: 2030-03-05}}
  - {id: cat-dien, programme: khan-cap, target: BS-HOALOC, priority: high, valid: {from: 2030-03-05}}
  - {id: qua-muon, programme: khan-cap, target: BS-HOALOC, priority: normal, valid: {from: 2030-03-06, until: 2030-03-06}}
"""


def test_bulletins_are_placed_in_slots_and_sessions(run) -> None:  # type: ignore[no-untyped-def]
    """normal: after the programme of the next slot with room; high: at the head of the next
    session; they play once."""
    run.path.write_text(BULLETINS, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    day = json.loads(run("schedule", "show", "--station", "TANTIEN-01", "--date", "2030-03-05",
                         "--json").stdout)
    entries = [i["entry"] for i in day["items"]]
    assert entries == ["sang", "tiem-chung"], entries  # Tuesday: only the morning slot
    sang, bulletin = day["items"]
    assert bulletin["start"] == sang["end"] and bulletin["priority"] == "normal"
    hoaloc = json.loads(run("schedule", "show", "--station", "HOALOC-01", "--date",
                            "2030-03-05", "--json").stdout)
    assert [i["entry"] for i in hoaloc["items"]] == ["cat-dien", "sang", "tiem-chung"]
    assert hoaloc["items"][0]["start"] == "2030-03-05T06:00:00+07:00"
    assert hoaloc["items"][1]["start"] == hoaloc["items"][0]["end"]
    # Once only: the next day has only the bulletin that became valid that day.
    later = json.loads(run("schedule", "show", "--station", "HOALOC-01", "--date",
                           "2030-03-06", "--json").stdout)
    assert [i["entry"] for i in later["items"]] == ["sang", "qua-muon"]
    gone = json.loads(run("schedule", "show", "--station", "HOALOC-01", "--date",
                          "2030-03-07", "--json").stdout)
    assert [i["entry"] for i in gone["items"]] == ["sang", "chieu"]  # Thursday


def test_emergency_without_start_is_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCHEDULE + "  - {id: x, programme: khan-cap, target: BS, priority: emergency}\n",
                   encoding="utf-8")
    result = run("schedule", "validate", str(bad), code=1)
    assert "entries[3].start" in result.stderr and "missing required key 'start'" in result.stderr


def test_relay_reaches_the_manifest_and_the_playlist(run) -> None:  # type: ignore[no-untyped-def]
    relay = SCHEDULE.replace(
        '      - text: "Sau đây là bản tin buổi sáng."',
        '      - text: "Sau đây là bản tin buổi sáng."\n'
        '      - relay: {url: "http://127.0.0.1:9/vov1.mp3", duration: 10m, '
        'fallback: broadcaster/media/assets/jingles/ket-thuc.wav}')
    run.path.write_text(relay, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    number = publish(run)
    folder: Path = run.home / "publications" / f"{number:06d}"
    items = json.loads((folder / "stations/HOALOC-01/playlist.json").read_text())["items"]
    relays = [i for i in items if "relay" in i]
    assert relays and relays[0]["relay"]["url"] == "http://127.0.0.1:9/vov1.mp3"
    start = datetime.fromisoformat(relays[0]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(relays[0]["end"].replace("Z", "+00:00"))
    assert end - start == timedelta(minutes=10)
    assert relays[0]["media"]["duration_ms"] == pytest.approx(3500, abs=50)  # the fallback
    m3u = (folder / "stations/HOALOC-01/playlist.m3u8").read_text().splitlines()
    at = m3u.index("http://127.0.0.1:9/vov1.mp3")
    assert m3u[at - 1] == "#EXTVLCOPT:run-time=600"


def test_entries_are_edited_from_the_cli(run) -> None:  # type: ignore[no-untyped-def]
    added = run("schedule", "add", "trua", "--programme", "ban-tin", "--target",
                "HOALOC-01", "--start", "11:30", "--rrule",
                "FREQ=WEEKLY;BYDAY=TU", "--from", "2030-01-01")
    assert "entry trua added" in added.stdout
    day = json.loads(run("schedule", "show", "--station", "HOALOC-01", "--date", "2030-03-05",
                         "--json").stdout)
    assert [i["entry"] for i in day["items"]] == ["sang", "trua"]
    assert "unchanged" in run("schedule", "add", "trua", "--programme", "ban-tin", "--target",
                              "HOALOC-01", "--start", "11:30", "--rrule",
                              "FREQ=WEEKLY;BYDAY=TU", "--from", "2030-01-01").stdout
    for args, message in [
        (("--target", "NOPE", "--start", "11:30", "--rrule", "FREQ=DAILY"), "no station or group"),
        (("--target", "BS", "--start", "11:30", "--rrule", "FREQ=SOMETIMES"), "is not valid"),
        (("--target", "BS", "--start", "11:30"), "one-off entry needs --start YYYY"),
        (("--target", "BS", "--start", "soon"), "is not HH:MM"),
        (("--target", "BS", "--priority", "emergency"), "an emergency needs --start"),
    ]:
        failed = run("schedule", "add", "x", "--programme", "ban-tin", *args, code=1)
        assert message in failed.stderr
    run("schedule", "remove", "trua")
    again = json.loads(run("schedule", "show", "--station", "HOALOC-01", "--date", "2030-03-05",
                           "--json").stdout)
    assert [i["entry"] for i in again["items"]] == ["sang"]
    assert "no entry with id 'trua'" in run("schedule", "remove", "trua", code=1).stderr


# -- partial publications, the publish lock, leftovers ------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, float]]:
    """Every file of a publication, its carried-over stations' included (where the index says
    they are): bytes, inode and modification time."""
    index = json.loads((folder / "index.json").read_text())
    paths = {str(p.relative_to(folder)): p for p in folder.rglob("*") if p.is_file()}
    for code, entry in index["stations"].items():
        for name in entry["files"]:
            if name.startswith("playlist."):
                paths[f"stations/{code}/{name}"] = publication.station_folder(
                    folder, code, entry.get("in")) / name
    return {name: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime)
            for name, p in sorted(paths.items())}


def test_partial_publication_replans_only_the_targets(run, app) -> None:  # type: ignore[no-untyped-def]
    first = publish(run)
    pubs: Path = run.home / "publications"
    old = snapshot(pubs / f"{first:06d}")
    old_index = json.loads((pubs / f"{first:06d}" / "index.json").read_text())
    tomorrow = (datetime.now(HCM) + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    run("schedule", "add", "bao-lu", "--programme", "khan-cap", "--target", "BS-HOALOC",
        "--start", tomorrow, "--priority", "emergency", "--on-collision", "preempt")
    number, changes = publication.publish(app, window=timedelta(days=2), note="bão",
                                          codes=["HOALOC-01"])
    assert number == first + 1
    assert [(c.code, c.status) for c in changes] == [("HOALOC-01", "changed")]
    assert changes[0].added and all(i.startswith("bao-lu@") for i in changes[0].added)
    folder = pubs / f"{number:06d}"
    new = snapshot(folder)
    assert snapshot(pubs / f"{first:06d}") == old, "the publication in force was touched"
    assert os.readlink(pubs / "current") == f"{number:06d}"
    # Everyone else is carried over: the very same files, the same index entries. A station's
    # playlists stay where they were written (its entry says where); channel files are linked.
    carried = [f"stations/{code}/playlist.{ext}" for code in ("TANTIEN-01", "PTTH-BS")
               for ext in ("json", "m3u8")] + ["channels/PTTH-BS.xml", "channels/PTTH-BS.ics"]
    for name in carried:
        assert new[name][0] == old[name][0] and new[name][1] == old[name][1], name
    assert sorted(p.name for p in (folder / "stations").iterdir()) == ["HOALOC-01"]
    assert (folder / "channels/PTTH-BS.xml").is_file()
    assert publication.linked_publications(folder) == {first}
    assert new["channels/xmltv.dtd"][0] == old["channels/xmltv.dtd"][0]
    index = json.loads((folder / "index.json").read_text())
    assert index["number"] == number
    for code in ("TANTIEN-01", "PTTH-BS"):
        assert index["stations"][code] == old_index["stations"][code] | {"in": first}
    manifest = json.loads((folder / "stations/HOALOC-01/playlist.json").read_text())
    assert manifest["publication"] == number
    assert manifest["digest"] == index["stations"]["HOALOC-01"]["digest"] \
        != old_index["stations"]["HOALOC-01"]["digest"]
    assert any(i["id"].startswith("bao-lu@") and i["priority"] == "emergency"
               for i in manifest["items"])
    # A full publication afterwards finds nothing else to change.
    diff = dict(line.split()[:2][::-1] for line in
                run("publish", "--days", "2", "--diff").stdout.splitlines())
    assert diff == {"TANTIEN-01": "unchanged", "HOALOC-01": "unchanged", "PTTH-BS": "unchanged"}
    listed = json.loads(run("publications", "--json").stdout)
    assert listed[0]["number"] == number and listed[0]["note"] == "bão"
    assert listed[0]["stations"] == 3


def test_carried_stations_point_at_the_publication_holding_their_files_and_prune_keeps_it(  # type: ignore[no-untyped-def]
        run, app, monkeypatch) -> None:
    pubs: Path = run.home / "publications"
    first = publish(run)
    second, _ = publication.publish(app, window=timedelta(days=2), codes=["HOALOC-01"])
    third, _ = publication.publish(app, window=timedelta(days=2), codes=["PTTH-BS"])

    def held_in(number: int) -> dict[str, int | None]:
        index = json.loads((pubs / f"{number:06d}" / "index.json").read_text())
        return {code: entry.get("in") for code, entry in index["stations"].items()}

    # Carried twice, still pointing where the files are: never at a carry-over.
    assert held_in(third) == {"TANTIEN-01": first, "HOALOC-01": second, "PTTH-BS": None}
    assert publication.linked_publications(pubs / f"{third:06d}") == {first, second}
    # A rollback carries every station over the same way and writes no playlist.
    rolled = publication.rollback(app, second)
    assert held_in(rolled) == {"TANTIEN-01": first, "HOALOC-01": second, "PTTH-BS": first}
    assert not (pubs / f"{rolled:06d}" / "stations").exists()
    files = snapshot(pubs / f"{rolled:06d}")
    assert {k: v for k, v in files.items() if k != "index.json"} \
        == {k: v for k, v in snapshot(pubs / f"{second:06d}").items() if k != "index.json"}
    before = snapshot(pubs / f"{rolled:06d}")
    # Everything is past retention and beyond the newest kept: only what the publication in
    # force needs survives, which is the folders holding its stations' files.
    monkeypatch.setattr(prune, "KEEP_NEWEST", 1)
    done = prune.prune(app, timedelta(0), datetime.now(HCM) + timedelta(days=1))
    assert done.publications == (third,)
    assert sorted(p.name for p in pubs.glob("[0-9]*")) \
        == [f"{n:06d}" for n in (first, second, rolled)]
    assert snapshot(pubs / f"{rolled:06d}") == before


def test_partial_publication_drops_removed_stations_and_refuses_unknown_ones(  # type: ignore[no-untyped-def]
        run, app) -> None:
    first = publish(run)
    with pytest.raises(NotFound, match="no station with code 'NOPE'"):
        publication.publish(app, window=timedelta(days=2), codes=["NOPE", "HOALOC-01"])
    assert publication.current_number(app) == first
    without = SCHEDULE.replace("  - {code: HOALOC-01, name: Đài truyền thanh xã Hòa Lộc, "
                               "group: BS-HOALOC}\n", "")
    run.path.write_text(without, encoding="utf-8")
    run("schedule", "apply", str(run.path))
    number, changes = publication.publish(app, window=timedelta(days=2), codes=["HOALOC-01"])
    assert [(c.code, c.status) for c in changes] == [("HOALOC-01", "removed")]
    index = json.loads((run.home / "publications" / f"{number:06d}" / "index.json").read_text())
    assert set(index["stations"]) == {"TANTIEN-01", "PTTH-BS"}
    assert not (run.home / "publications" / f"{number:06d}" / "stations" / "HOALOC-01").exists()


def test_partial_publication_without_one_in_force_plans_everyone(run, app) -> None:  # type: ignore[no-untyped-def]
    _, changes = publication.publish(app, window=timedelta(days=2), codes=["TANTIEN-01"])
    assert sorted(c.code for c in changes) == ["HOALOC-01", "PTTH-BS", "TANTIEN-01"]
    assert {c.status for c in changes} == {"new"}


def test_the_publish_lock_serialises_publishers(run, config, app) -> None:  # type: ignore[no-untyped-def]
    publish(run)  # build every programme once
    apps = [App(config), App(config)]
    numbers: list[int] = []
    errors: list[BaseException] = []

    def publisher(index: int) -> None:
        try:
            numbers.append(publication.publish(apps[index], window=timedelta(days=2))[0])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    lock = run.home / "publications" / ".lock"
    with publication.publish_lock(app):
        with publication.publish_lock(app):  # re-entrant in the thread that holds it
            pass
        threads = [threading.Thread(target=publisher, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        assert not numbers and all(t.is_alive() for t in threads), "published without the lock"
        # Another process cannot take it either; on PostgreSQL, neither can another host.
        probe = subprocess.run(
            [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a'); "
             "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)", str(lock)], capture_output=True)
        assert probe.returncode != 0 and b"BlockingIOError" in probe.stderr
        if app.engine.dialect.name == "postgresql":
            with app.engine.connect() as conn:
                assert not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                        {"k": folders.ADVISORY_KEY}).scalar()
    for thread in threads:
        thread.join(60)
    for each in apps:
        each.close()
    assert not errors, errors
    assert sorted(numbers) == [2, 3]
    pubs = run.home / "publications"
    assert os.readlink(pubs / "current") == "000003"
    for number in numbers:
        index = json.loads((pubs / f"{number:06d}" / "index.json").read_text())
        assert index["number"] == number and len(index["stations"]) == 3
    assert [p["number"] for p in json.loads(run("publications", "--json").stdout)] == [3, 2, 1]


def test_clean_stale_removes_what_a_killed_publisher_left(run, app) -> None:  # type: ignore[no-untyped-def]
    number = publish(run)
    pubs: Path = run.home / "publications"
    half = pubs / f".{number + 1:06d}.k3j9x2"
    (half / "stations" / "TANTIEN-01").mkdir(parents=True)
    (half / "stations" / "TANTIEN-01" / "playlist.json").write_bytes(b"{")
    os.symlink(f"{number + 1:06d}", pubs / ".current.4242.1")
    os.symlink(f"{number:06d}", pubs / ".current.4243")
    (pubs / ".trash-000000").mkdir()  # prune's, not a publisher's
    assert publication.clean_stale(app) == 3
    assert sorted(p.name for p in pubs.iterdir()) == [".lock", ".trash-000000", f"{number:06d}",
                                                      "current"]
    assert os.readlink(pubs / "current") == f"{number:06d}"
    assert publication.clean_stale(app) == 0
    assert publish(run) == number + 1


def test_a_failed_write_leaves_nothing_behind(run, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    number = publish(run)

    def broken(path: str, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(folders, "_write", broken)
    with pytest.raises(DiskFull, match=f"the disk holding .* is full .*publication {number} "
                       "is still the one in force"):
        publication.publish(app, window=timedelta(days=2))
    pubs: Path = run.home / "publications"
    assert sorted(p.name for p in pubs.iterdir()) == [".lock", f"{number:06d}", "current"]
    assert [p["number"] for p in json.loads(run("publications", "--json").stdout)] == [number]


def test_if_changed_writes_nothing_when_every_playlist_is_unchanged(run, app) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2030, 3, 3, 17, 0, tzinfo=ZoneInfo("UTC"))
    first, _ = publication.publish(app, start=start, window=timedelta(days=2), now=start)
    same, changes = publication.publish(app, start=start, window=timedelta(days=2), now=start,
                                        if_changed=True)
    assert same == first and changes and all(c.status == "unchanged" for c in changes)
    assert sorted(p.name for p in publication.root(app).glob("[0-9]*")) == [f"{first:06d}"]
    run("schedule", "add", "them", "--programme", "ban-tin", "--target", "HOALOC-01",
        "--start", "2030-03-04T08:00")
    changed, changes = publication.publish(app, start=start, window=timedelta(days=2),
                                           now=start, if_changed=True)
    assert changed == first + 1
    assert {c.code for c in changes if c.status == "changed"} == {"HOALOC-01"}


def test_publish_removes_what_a_killed_publisher_left(run) -> None:  # type: ignore[no-untyped-def]
    number = publish(run)
    pubs: Path = run.home / "publications"
    half = pubs / f".{number + 1:06d}.k3j9x2"
    (half / "stations" / "TANTIEN-01").mkdir(parents=True)
    (half / "stations" / "TANTIEN-01" / "playlist.json").write_bytes(b"{" * 100_000)
    os.symlink(f"{number + 1:06d}", pubs / ".current.4242.1")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tmp = run.home / "media" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / f"{dead.pid}-half.mp3").write_bytes(b"\xff" * 1000)  # a killed render's
    assert publish(run) == number + 1
    assert sorted(p.name for p in pubs.iterdir()) == [".lock", f"{number:06d}",
                                                      f"{number + 1:06d}", "current"]
    assert os.readlink(pubs / "current") == f"{number + 1:06d}"
    assert list(tmp.iterdir()) == []
    run("check")
