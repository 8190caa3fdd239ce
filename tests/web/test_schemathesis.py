"""A short, seeded schemathesis pass over the station API's OpenAPI document, against the app
on a real socket (SQLite and PostgreSQL): no 500, no undocumented answer, no valid request
refused, no invalid one accepted. ``make fuzz-api`` runs the long one against ``serve``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from broadcaster.web import WebSettings
from tests.web.conftest import M3U8, bearer

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_nothing(province, serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The per-station rate limit would answer most requests 429: the fuzzer is one station.
    client = serve(WebSettings(rate_per_second=1000, burst=1000))
    token = province.tokens["TANTIEN-01"]
    playlist = client.get(M3U8.format("TANTIEN-01"), headers=bearer(token)).text
    media = next(line for line in playlist.splitlines() if "/media/" in line).rsplit("/", 1)[1]
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.code" = "TANTIEN-01"\n"path.name" = "{media}"\n')
    reports = tmp_path / "reports"
    done = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(config), "run",
         str(client.base_url).rstrip("/") + "/api/v1/openapi.json",
         "-H", f"Authorization: Bearer {token}",
         "--checks", "all", "--phases", "examples,coverage,fuzzing", "--max-examples", "12",
         "--max-time", "40", "--seed", "20261203", "--request-timeout", "70",
         "--report", "json", "--report-dir", str(reports)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    found = sorted(reports.glob("json-*.json"))
    assert found, (done.stdout + done.stderr)[-3000:]
    report = json.loads(found[-1].read_text())
    assert report["operations"]["tested"] >= 6, done.stdout[-3000:]
    assert report["test_cases"]["generated"] >= 100, done.stdout[-3000:]
    assert report["test_cases"]["with_failures"] == 0 and not report["errors"], \
        done.stdout[-8000:]
    print(f"schemathesis: {report['test_cases']['generated']} test cases in "
          f"{report['running_time']:.0f} s")
