"""Published files against outside validators: every XMLTV guide through the XMLTV project's
own ``tv_validate_file`` (Debian package xmltv-util, run offline against the DTD it ships)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from broadcaster.planning.items import StationInfo
from broadcaster.publish.formats import xmltv, xmltv_dtd

XMLTV_DTD = Path("/usr/share/xmltv/xmltv.dtd")  # shipped by xmltv-util
SCHEDULE = """
groups:
  - {code: BS, name: Tỉnh Bình Sơn, kind: province}
  - {code: BS-TANTIEN, name: Xã Tân Tiến, kind: commune, parent: BS}
stations:
  - {code: TANTIEN-01, name: Đài truyền thanh xã Tân Tiến, group: BS-TANTIEN}
  - {code: PTTH-BS, name: Đài Phát thanh tỉnh Bình Sơn, kind: radio, group: BS}
  - {code: TRUYENHINH_BS, name: "Truyền hình Bình Sơn & các xã <BS>", kind: tv, group: BS}
programmes:
  - code: ban-tin
    title: "Bản tin sáng: \\"Nghị quyết 57\\" & đời sống"
    items:
      - jingle: mo-dau
      - text: "Sau đây là bản tin buổi sáng."
entries:
  - {id: sang, programme: ban-tin, target: BS, start: "06:00", rrule: FREQ=DAILY}
  - {id: toi, programme: ban-tin, target: BS, start: "20:00", rrule: FREQ=DAILY}
"""


def apply(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ids: str) -> None:  # type: ignore[no-untyped-def]
    """Apply SCHEDULE with the XMLTV domain ``binhson.example`` and the setting xmltv_ids=``ids``."""
    monkeypatch.setenv("BROADCASTER_XMLTV_DOMAIN", "binhson.example")
    monkeypatch.setenv("BROADCASTER_XMLTV_IDS", ids)
    path = tmp_path / "tinh.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))


def tv_validate_file(path: Path) -> subprocess.CompletedProcess[str]:
    """The XMLTV project's validator on ``path``, offline: the DTD comes from the package
    (without ``--dtd-file`` it downloads it from supplement.xmltv.org)."""
    validator = shutil.which("tv_validate_file")
    assert validator and XMLTV_DTD.is_file(), \
        "this test needs tv_validate_file (Debian package 'xmltv-util'); `make test` installs " \
        "it as root"
    return subprocess.run([validator, "--dtd-file", str(XMLTV_DTD), str(path)],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "XMLTV_SUPPLEMENT": str(XMLTV_DTD.parent)})


def test_every_published_xmltv_file_passes_tv_validate_file(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apply(cli, tmp_path, monkeypatch, "TRUYENHINH_BS=truyenhinh.binhson.gov.vn")
    cli("publish", "--days", "2")
    channels = cli.home / "publications" / "current" / "channels"
    guides = sorted(channels.glob("*.xml"))
    assert [g.name for g in guides] == ["PTTH-BS.xml", "TRUYENHINH_BS.xml"]
    for guide in guides:
        done = tv_validate_file(guide)
        assert (done.returncode, done.stdout.strip()) == (0, "Validated ok."), \
            f"{guide.name}: {done.stdout}{done.stderr}"
    ids = {g.name: etree.parse(str(g)).find("channel").get("id") for g in guides}
    assert ids == {"PTTH-BS.xml": "ptth-bs.binhson.example",
                   "TRUYENHINH_BS.xml": "truyenhinh.binhson.gov.vn"}


def test_the_validator_is_real(tmp_path: Path) -> None:
    """What the published files are checked with refuses what this project used to write."""
    guide = tmp_path / "old.xml"
    guide.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<tv><channel id="PTTH-BS">'
                     '<display-name>Đài</display-name></channel><programme start="20261203060000 '
                     '+0700" channel="PTTH-BS"><title>Tin</title></programme></tv>\n',
                     encoding="utf-8")
    done = tv_validate_file(guide)
    assert done.returncode == 1 and "Invalid channel-id 'PTTH-BS'" in done.stdout


def test_two_channels_with_one_id_publish_nothing(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apply(cli, tmp_path, monkeypatch, "TRUYENHINH_BS=ptth-bs.binhson.example")
    failed = cli("publish", "--days", "1", code=1)
    assert "stations PTTH-BS and TRUYENHINH_BS would both have the XMLTV channel id " \
           "'ptth-bs.binhson.example'; give one of them another with the setting 'xmltv_ids'; " \
           "nothing was published" in failed.stderr
    assert not (cli.home / "publications" / "current").exists()


def test_a_channel_with_nothing_planned_is_only_called_empty(tmp_path: Path) -> None:
    """A radio channel with nothing in the window still gets its guide: valid XMLTV (the DTD
    allows no programmes), which tv_validate_file, written for grabbers, reports only as
    empty. Known and kept: a guide saying "nothing planned" is the truth."""
    (tmp_path / "xmltv.dtd").write_bytes(xmltv_dtd())
    guide = tmp_path / "PTTH-BS.xml"
    guide.write_bytes(xmltv([(StationInfo("PTTH-BS", "Đài Phát thanh tỉnh Bình Sơn", "radio",
                                          "Asia/Ho_Chi_Minh"), [])],
                            datetime(2026, 12, 3, tzinfo=UTC), {"PTTH-BS": "ptth-bs.bs.vn"}))
    done = tv_validate_file(guide)
    assert done.stdout.splitlines() == ["No programme entries found.", "1 error found."]
