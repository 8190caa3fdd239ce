"""``schedule apply`` reconciles only what the files made, on both databases.

Rows made with the command line, in the web UI or by ``announce`` survive every apply; a file
that names one is refused (file:line, the row's origin) unless ``--adopt``; a row of the files
that a row made elsewhere still needs is not removed; ``--diff`` changes nothing; ``export``
writes the files' rows (``--all``: every row) and reads back.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from broadcaster.app import App
from broadcaster.db import Entry, Group, Programme, Station
from tests.helpers import SCHEDULE

TEXT = "Nước sông Trà dâng cao, bà con vùng trũng di chuyển lên nơi an toàn."
TIN_MOI = """  - code: tin-moi
    title: Tin mới theo tệp
    items:
      - jingle: mo-dau
"""


def origins(app: App, model: type[Entry] | type[Programme] | type[Group] | type[Station]
            ) -> dict[str, str]:
    with app.sessions() as session:
        return {code: origin for code, origin in session.execute(select(model.code, model.origin))}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_apply_keeps_what_others_made(run, app: App) -> None:  # type: ignore[no-untyped-def]
    """The incident: after an announcement, apply removed its entry and programme; rows made
    with the command line went the same way. Now every maker marks its rows and apply leaves
    the others alone."""
    made = run("announce", TEXT, "--to", "BS-TANTIEN", "--at", "2030-03-04 08:00",
               "--priority", "emergency", "--here").stdout.strip()
    code = f"thong-bao-{made}"
    run("programme", "add", "tin-xa", "--title", "Tin của xã", "--item", "jingle:mo-dau")
    run("schedule", "add", "tin-xa-sang", "--programme", "tin-xa", "--target", "BS-TANTIEN",
        "--start", "2030-03-05T07:00")
    run("groups", "add", "BS-TANTIEN-C2", "--name", "Cụm loa thôn Hạ", "--kind", "cluster",
        "--parent", "BS-TANTIEN")
    run("stations", "add", "TANTIEN-02", "--name", "Cụm loa thôn Hạ", "--group", "BS-TANTIEN-C2")

    again = run("schedule", "apply", str(run.path)).stdout
    assert again.strip() == "nothing to change: the database already matches", again
    assert origins(app, Entry) == {"sang": "file", "chieu": "file", "lu": "file",
                                   code: "announce", "tin-xa-sang": "cli"}
    assert origins(app, Programme) == {"ban-tin": "file", "khan-cap": "file",
                                       code: "announce", "tin-xa": "cli"}
    assert origins(app, Group)["BS-TANTIEN-C2"] == "cli"
    assert origins(app, Station)["TANTIEN-02"] == "cli"
    assert '"origin": "cli"' in run("stations", "show", "TANTIEN-02", "--json").stdout
    # An announcement row still points at something that exists.
    shown = run("schedule", "show", "--station", "TANTIEN-01", "--date", "2030-03-04",
                "--json").stdout
    assert f'"entry": "{code}"' in shown


def test_a_file_naming_rows_made_elsewhere_is_refused_unless_adopted(run, app: App,  # type: ignore[no-untyped-def]
                                                                    tmp_path: Path) -> None:
    run("programme", "add", "tin-moi", "--title", "Tin mới của xã", "--item", "jingle:mo-dau")
    both = write(tmp_path, "them.yaml", SCHEDULE.replace("entries:", TIN_MOI + "entries:"))
    line = both.read_text(encoding="utf-8").splitlines().index("  - code: tin-moi") + 1
    refused = run("schedule", "apply", str(both), code=1)
    assert f"{both}:{line}:" in refused.stderr
    assert "programme tin-moi was made with the command line (origin cli)" in refused.stderr
    assert "--adopt" in refused.stderr
    with app.sessions() as session:   # nothing changed
        row = session.scalar(select(Programme).where(Programme.code == "tin-moi"))
        assert row is not None and (row.title, row.origin) == ("Tin mới của xã", "cli")

    dry = run("schedule", "apply", str(both), "--adopt", "--diff").stdout.splitlines()
    assert "would adopt    programme tin-moi (made with the command line)" in dry
    assert origins(app, Programme)["tin-moi"] == "cli"

    adopted = run("schedule", "apply", str(both), "--adopt").stdout.splitlines()
    assert "adopted  programme tin-moi (made with the command line)" in adopted
    assert "changed  programme tin-moi" in adopted
    assert adopted[-1] == "0 added, 1 changed, 0 removed, 1 adopted"
    assert origins(app, Programme)["tin-moi"] == "file"
    # The files own it now: leaving it out of them removes it.
    assert "removed  programme tin-moi" in run("schedule", "apply", str(run.path)).stdout


def test_rows_others_still_need_are_not_removed(run, app: App, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("schedule", "add", "xa-them", "--programme", "khan-cap", "--target", "BS-HOALOC",
        "--start", "2030-03-05T07:00")
    run("stations", "add", "TANTIEN-02", "--name", "Cụm loa thôn Hạ", "--group", "BS-TANTIEN")
    # A file without khan-cap (and the entry that used it) and without BS-TANTIEN.
    text = SCHEDULE.split("  - code: khan-cap")[0] + "entries:\n" + \
        SCHEDULE.split("entries:\n")[1].split("  - {id: lu")[0]
    text = text.replace("  - {code: BS-TANTIEN, name: Xã Tân Tiến, kind: commune, "
                        "parent: BS-XA}\n", "")
    text = text.replace("  - {code: TANTIEN-01, name: Đài truyền thanh xã Tân Tiến, group: "
                        "BS-TANTIEN}\n", "")
    smaller = write(tmp_path, "smaller.yaml", text)
    refused = run("schedule", "apply", str(smaller), code=1).stderr
    assert "cannot remove programme khan-cap (no longer in the files): entry xa-them (made " \
        "with the command line) plays it" in refused
    assert "cannot remove group BS-TANTIEN (no longer in the files): station TANTIEN-02 " \
        "(made with the command line) is in it" in refused
    assert "2 problem(s)" in refused
    assert set(origins(app, Programme)) == {"ban-tin", "khan-cap"}   # nothing removed
    assert "lu" in origins(app, Entry) and "TANTIEN-01" in origins(app, Station)

    run("schedule", "remove", "xa-them")
    run("schedule", "apply", str(smaller), code=1)   # the station still needs its group
    with app.sessions() as session:
        session.delete(session.scalar(select(Station).where(Station.code == "TANTIEN-02")))
        session.commit()
    done = run("schedule", "apply", str(smaller)).stdout.splitlines()
    assert "removed  programme khan-cap" in done and "removed  group BS-TANTIEN" in done


def test_diff_changes_nothing(cli, app: App, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "tinh.yaml", SCHEDULE)
    out = cli("schedule", "apply", str(path), "--diff").stdout.splitlines()
    assert "would add      group BS" in out and "would add      entry lu" in out
    assert out[-1] == "12 added, 0 changed, 0 removed (dry run: nothing was changed)"
    assert origins(app, Group) == {} and origins(app, Entry) == {}
    cli("schedule", "apply", str(path))
    smaller = write(tmp_path, "smaller.yaml", SCHEDULE.split("  - {id: lu")[0])
    out = cli("schedule", "apply", str(smaller), "--diff").stdout.splitlines()
    assert out == ["would remove   entry lu",
                   "0 added, 0 changed, 1 removed (dry run: nothing was changed)"]
    assert "lu" in origins(app, Entry)


def test_export_writes_the_files_rows_and_reads_back(run, app: App, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("programme", "add", "tin-xa", "--title", "Tin của xã", "--item", "jingle:mo-dau")
    run("schedule", "add", "tin-xa-sang", "--programme", "tin-xa", "--target", "BS-TANTIEN",
        "--start", "2030-03-05T07:00")
    files_only = tmp_path / "export.yaml"
    run("schedule", "export", "-o", str(files_only))
    text = files_only.read_text(encoding="utf-8")
    assert "tin-xa" not in text and "id: lu" in text
    assert run("schedule", "apply", str(files_only)).stdout.strip() == \
        "nothing to change: the database already matches"

    everything = tmp_path / "all.yaml"
    run("schedule", "export", "--all", "-o", str(everything))
    assert "id: tin-xa-sang" in everything.read_text(encoding="utf-8")
    refused = run("schedule", "apply", str(everything), code=1).stderr
    assert "entry tin-xa-sang was made with the command line (origin cli)" in refused
    adopted = run("schedule", "apply", str(everything), "--adopt").stdout.splitlines()
    assert adopted[-1] == "0 added, 0 changed, 0 removed, 2 adopted"
    assert origins(app, Entry)["tin-xa-sang"] == "file"


def test_operators_do_not_change_rows_of_the_files_or_of_announce(run, app: App) -> None:  # type: ignore[no-untyped-def]
    changed = run("schedule", "add", "sang", "--programme", "ban-tin", "--target", "BS",
                  "--start", "07:00", "--rrule", "FREQ=DAILY", code=1).stderr
    assert "entry sang was made by the schedule files (origin file)" in changed
    assert "change it in the schedule file" in changed
    assert "was made by the schedule files" in run(
        "programme", "add", "ban-tin", "--title", "X", "--item", "jingle:mo-dau", code=1).stderr
    # Removing one of the files' entries is allowed: the next apply adds it back.
    removed = run("schedule", "remove", "lu")
    assert "the next schedule apply adds it again" in removed.stderr
    assert "added    entry lu" in run("schedule", "apply", str(run.path)).stdout
    made = run("announce", TEXT, "--to", "BS-TANTIEN", "--at", "2030-03-04 08:00",
               "--priority", "emergency", "--here").stdout.strip()
    refused = run("schedule", "remove", f"thong-bao-{made}", code=1).stderr
    assert "announce --cancel" in refused
    assert f"thong-bao-{made}" in origins(app, Entry)
