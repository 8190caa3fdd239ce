"""The demo's data ships in the package (broadcaster/demo/) as copies of the repository's
example files, which stay where the product card puts them: the copies never drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcaster.cli.demo import PROVINCE
from broadcaster.cli.speech import EXAMPLE
from broadcaster.fsutil import shipped_path

REPO = Path(__file__).resolve().parents[1]
COPIES: dict[tuple[str, ...], Path] = {PROVINCE: REPO / "schedules" / "binh-son.yaml",
          EXAMPLE: REPO / "docs" / "examples" / "nghi-quyet-tom-tat.md"}


@pytest.mark.parametrize("parts", list(COPIES), ids=[p[-1] for p in COPIES])
def test_the_packaged_copy_is_the_repository_file(parts: tuple[str, ...]) -> None:
    original = COPIES[parts]
    assert shipped_path(*parts).read_bytes() == original.read_bytes(), (
        f"broadcaster/{'/'.join(parts)} differs from {original.relative_to(REPO)}: "
        f"copy it again (cp {original.relative_to(REPO)} broadcaster/{'/'.join(parts)})")


def test_the_package_data_declares_them() -> None:
    setup = (REPO / "setup.cfg").read_text(encoding="utf-8")
    assert "demo/*.yaml" in setup and "demo/*.md" in setup
