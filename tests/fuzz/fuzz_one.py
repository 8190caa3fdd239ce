"""Run one fuzz target under atheris (libFuzzer): ``python tests/fuzz/fuzz_one.py TARGET
CRASHES_DIR [libFuzzer flags and corpus folders]``. Use tests/fuzz/run.py, which sets it up.

A Python exception other than InputError is recorded, once per place it was raised, as
``CRASHES_DIR/TARGET-<digest>.bin`` (the input; the digest is of the exception's type and
the line that raised it) and ``.txt`` (the traceback), and the run goes
on, so that one run finds every distinct crash; what libFuzzer itself catches (a timeout, the
memory limit, a hard crash) stops the run and leaves its artifact for run.py to collect.
"""

from __future__ import annotations

import hashlib
import re
import sys
import traceback
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.fuzz.targets import INSTRUMENT, TARGETS  # noqa: E402


def _short(filename: str) -> str:
    """A path without this machine's prefix: from the package (ours or a library's) down."""
    short = re.sub(r"^.*/lib/python3\.\d+/(site-packages/)?", "", filename)
    return short.removeprefix(f"{REPO}/")


def main() -> None:
    name, crashes = sys.argv[1], Path(sys.argv[2])
    with atheris.instrument_imports(include=list(INSTRUMENT[name])):
        import docx  # noqa: F401  (broadcaster.documents imports it when first needed)

        import broadcaster.documents
        import broadcaster.schedule.yamlfile  # noqa: F401
    target = TARGETS[name]
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            target(data)
        except Exception as exc:  # the harness's edge: every other exception is a finding
            place = traceback.extract_tb(exc.__traceback__)[-1]  # where it was raised
            signature = f"{type(exc).__name__} {_short(place.filename)}:{place.lineno}"
            if signature in seen:
                return
            seen.add(signature)
            digest = hashlib.sha1(signature.encode()).hexdigest()[:12]
            crashes.mkdir(parents=True, exist_ok=True)
            (crashes / f"{name}-{digest}.bin").write_bytes(data)
            (crashes / f"{name}-{digest}.txt").write_text(
                signature + "\n\n" + "".join(traceback.format_exception(exc))
                .replace(f"{REPO}/", ""), encoding="utf-8")
            print(f"CRASH {name}-{digest}: {signature}: {exc!s:.200}", file=sys.stderr,
                  flush=True)

    atheris.Setup([sys.argv[0], *sys.argv[3:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
