"""The media cache: only verified files are ready; damage is found and the file removed."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

import broadcaster.agent.cache as cache_module
from broadcaster.agent.cache import MediaCache
from tests.agent.conftest import T0, media_ref

DATA = b"ID3" + bytes(range(256)) * 40


def put(cache: MediaCache, data: bytes = DATA) -> Path:
    media = media_ref(data)
    part = cache.part_path(media)
    part.write_bytes(data)
    return cache.adopt(part, media)


def test_an_adopted_file_is_ready_without_hashing_again(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = MediaCache(tmp_path)
    path = put(cache)
    assert path.name == media_ref(DATA).name and cache.ready() == {media_ref(DATA).sha256}
    hashed: list[Path] = []
    real = cache_module.sha256_of
    def counted(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(cache_module, "sha256_of", counted)
    assert cache.check(media_ref(DATA))
    assert MediaCache(tmp_path).verify_all() == (1, [])  # a new process trusts the index
    assert hashed == []


@pytest.mark.parametrize("damage", ["truncate", "overwrite", "replace"])
def test_a_damaged_file_is_found_deleted_and_never_ready(tmp_path: Path, damage: str) -> None:
    cache = MediaCache(tmp_path)
    path = put(cache)
    media = media_ref(DATA)
    if damage == "truncate":
        with path.open("r+b") as fh:
            fh.truncate(100)
    elif damage == "overwrite":  # same size, other bytes
        path.write_bytes(b"\0" * len(DATA))
    else:  # another file renamed over it
        other = tmp_path / "other"
        other.write_bytes(DATA[::-1])
        os.replace(other, path)
    assert not cache.check(media)
    assert not path.exists() and media.sha256 not in cache.ready()


def test_damage_done_while_the_agent_was_off_is_found_at_start(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    path = put(cache)
    good = put(cache, b"another file")
    with path.open("r+b") as fh:
        fh.seek(10)
        fh.write(b"XX")
    os.utime(path, ns=(1, 1))
    ready, damaged = MediaCache(tmp_path).verify_all()
    assert (ready, damaged) == (1, [path.name])
    assert good.exists() and not path.exists()


def test_unreferenced_media_go_after_the_grace_period(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    kept, dropped = put(cache), put(cache, b"old programme")
    part = tmp_path / "media" / (media_ref(b"half").name + ".part")
    part.write_bytes(b"ha")
    grace = timedelta(hours=24)
    keep = {media_ref(DATA).sha256}
    assert cache.collect(keep, T0, grace) == []
    assert cache.collect(keep, T0 + timedelta(hours=23), grace) == []
    # Referenced again in between: the clock starts over.
    assert cache.collect(keep | {media_ref(b"old programme").sha256},
                         T0 + timedelta(hours=23, minutes=30), grace) == []
    assert cache.collect(keep, T0 + timedelta(hours=24), grace) == [part.name]
    assert cache.collect(keep, T0 + timedelta(hours=48), grace) == [dropped.name]
    assert kept.exists() and cache.ready() == keep


@pytest.mark.parametrize("index", [
    b'{"verified": ["not", "a", "map"], "unreferenced_since": 7}',
    b'{"verified": {"x.mp3": "size"}, "unreferenced_since": {"%s": "not a time"}}'
    % media_ref(DATA).sha256.encode(),
    b"[" * 100_000,
])
def test_a_damaged_index_costs_a_hash_not_the_agent(tmp_path: Path, index: bytes) -> None:
    """The index is the agent's own file, but a power cut or a hand can damage it: the
    entries that are not well-formed are dropped and the files hashed again."""
    path = put(MediaCache(tmp_path))
    path.with_name("index.json").write_bytes(index)
    cache = MediaCache(tmp_path)
    assert cache.verify_all() == (1, [])
    assert cache.check(media_ref(DATA)) and cache.ready() == {media_ref(DATA).sha256}
    assert cache.collect([], T0, timedelta(hours=1)) == []
    assert cache_module.verified_names(path.parent) == {path.name}
