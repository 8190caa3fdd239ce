"""Programmes: an ordered list of items assembled into broadcast-ready audio.

Items: a jingle or tone from the assets folder, a spoken document, inline text, a station ident
("Đây là Đài truyền thanh xã {name}", spoken per station), a recorded file, silence, and a live
relay (a stream URL played for a set time, with a recorded fallback). A relay cannot be baked
into a file, so a built programme is a list of *parts*: runs of audio items assembled into one
clip each, and relay parts between them.

Assembly streams: items are decoded, levelled to the profile's loudness target and faded (pydub)
one at a time and written straight into one ffmpeg encoder, so a long programme never needs its
whole raw audio in memory (at most one item plus the encoder's buffers).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.codes import check_code
from broadcaster.config import Profile
from broadcaster.db import Clip, Document, Programme, transaction, utcnow
from broadcaster.domain.durations import parse_duration as parse
from broadcaster.domain.vocabulary import ITEM_KINDS, ItemKind
from broadcaster.errors import InputError, NotFound
from broadcaster.media import Ffmpeg, MediaStore, measure, normalise
from broadcaster.media.ffmpeg import failure
from broadcaster.origins import check_change
from broadcaster.speech import Renderer, RenderRequest, SpeechSettings

with warnings.catch_warnings():  # pydub warns at import when ffmpeg is not on PATH; we set it
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

ASSET_DIRS = ("jingles", "tones", "idents")
BUILD_VERSION = "1"


@dataclass(frozen=True)
class ItemDef:
    """One item of a programme."""

    kind: ItemKind
    value: str = ""                      # asset name, text, document key, file path or URL
    duration_ms: int | None = None       # silence and relay
    fallback: str | None = None          # relay: a recorded file played when the stream is down


@dataclass(frozen=True)
class ProgrammeDef:
    """A programme as operators describe it."""

    code: str
    title: str
    items: tuple[ItemDef, ...]
    gap_ms: int = 300
    fade_ms: int = 30

    def to_json(self) -> dict[str, Any]:
        """Stored form."""
        return {"code": self.code, "title": self.title, "gap_ms": self.gap_ms,
                "fade_ms": self.fade_ms, "items": [asdict(i) for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProgrammeDef:
        """Inverse of :meth:`to_json`."""
        return cls(data["code"], data["title"], tuple(ItemDef(**i) for i in data["items"]),
                   data.get("gap_ms", 300), data.get("fade_ms", 30))

    @property
    def has_ident(self) -> bool:
        """True when the programme differs per station."""
        return any(i.kind == "ident" for i in self.items)


@dataclass(frozen=True)
class Part:
    """A piece of a built programme: an assembled clip, or a live relay."""

    kind: Literal["audio", "relay"]
    duration_ms: int
    clip: Clip | None = None
    url: str = ""
    fallback: Clip | None = None


@dataclass(frozen=True)
class BuiltProgramme:
    """A programme ready to schedule for one station (or for every station, without ident)."""

    code: str
    title: str
    parts: tuple[Part, ...] = field(default=())

    @property
    def duration(self) -> timedelta:
        """Exact length of all parts."""
        return timedelta(milliseconds=sum(p.duration_ms for p in self.parts))


def find_asset(audio_dir: Path, name: str) -> Path:
    """The file of a jingle/tone/ident named ``name`` in the assets folder ``audio_dir``."""
    for sub in ASSET_DIRS:
        for ext in ("wav", "mp3", "ogg", "flac"):
            path = audio_dir / sub / f"{name}.{ext}"
            if path.is_file():
                return path
    raise InputError(f"no audio asset {name!r} in {audio_dir}; known assets: "
                     f"{', '.join(asset_names(audio_dir)) or '(none)'}")


def asset_names(audio_dir: Path) -> list[str]:
    """The jingles, tones and idents in the assets folder ``audio_dir``, by name."""
    return sorted({p.stem for sub in ASSET_DIRS for p in (audio_dir / sub).glob("*.*")
                   if p.suffix in (".wav", ".mp3", ".ogg", ".flac")})


class Builder:
    """Builds programmes into clips for a profile and, where they have an ident, a station."""

    def __init__(self, renderer: Renderer, store: MediaStore, ffmpeg: Ffmpeg,
                 audio_dir: Path, recordings_dir: Path) -> None:
        self.renderer = renderer
        self.sessions = renderer.sessions
        self.store = store
        self.ffmpeg = ffmpeg
        self.audio_dir = audio_dir
        self.recordings_dir = recordings_dir

    def recording(self, value: str) -> Path:
        """A recorded file: absolute, or relative to the recordings folder (``recordings_dir``)."""
        path = Path(value)
        return path if path.is_absolute() else self.recordings_dir / path

    # -- sources -----------------------------------------------------------------------------

    def _speak(self, text: str, profile: Profile, engines: tuple[str, ...],
               settings: dict[str, Any] | None = None, revision_id: int | None = None) -> Path:
        request = RenderRequest(text=text, profile=profile, engines=engines,
                                settings=SpeechSettings.for_profile(profile, settings),
                                dialect=self.renderer.config.dialect,
                                document_revision_id=revision_id)
        return self.renderer.render(request).path

    def _source(self, item: ItemDef, station_name: str, profile: Profile,
                engines: tuple[str, ...]) -> Path | None:
        if item.kind == "jingle":
            return find_asset(self.audio_dir, item.value)
        if item.kind == "file":
            path = self.recording(item.value)
            if not path.is_file():
                raise InputError(f"recorded file {item.value} does not exist (looked at {path})")
            return path
        if item.kind == "text":
            return self._speak(item.value, profile, engines)
        if item.kind == "ident":
            return self._speak(item.value.format(name=station_name, code=station_name),
                               profile, engines)
        if item.kind == "document":
            with self.sessions() as session:
                doc = session.scalar(select(Document).where(Document.key == item.value))
                if doc is None:
                    raise InputError(f"programme item: no document with key {item.value!r}; "
                                     "add it with: broadcaster docs add FILE")
                text, speech, rev = doc.current.text, dict(doc.speech), doc.current.id
            return self._speak(text, profile, engines, speech, rev)
        return None  # silence: no source

    def _segments(self, items: Sequence[ItemDef], station_name: str, profile: Profile,
                  engines: tuple[str, ...], fade_ms: int) -> Iterator[AudioSegment]:
        rate = profile.sample_rate
        for item in items:
            if item.kind == "silence":
                yield AudioSegment.silent(duration=item.duration_ms or 0, frame_rate=rate)
                continue
            source = self._source(item, station_name, profile, engines)
            assert source is not None
            samples, _ = self.ffmpeg.decode(source, rate)
            levelled, _level = normalise(samples, rate, profile.loudness_lufs,
                                         profile.true_peak_dbtp)
            pcm = (np.clip(levelled, -1.0, 1.0) * 32767).astype("<i2").tobytes()
            segment = AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=1)
            if fade_ms:
                segment = segment.fade_in(min(fade_ms, len(segment) // 2)) \
                    .fade_out(min(fade_ms, len(segment) // 2))
            yield segment

    # -- assembly ----------------------------------------------------------------------------

    def _assemble(self, key: str, items: Sequence[ItemDef], station_name: str, profile: Profile,
                  engines: tuple[str, ...], gap_ms: int, fade_ms: int,
                  request: dict[str, Any]) -> Clip:
        with self.sessions() as session:
            cached = session.scalar(select(Clip).where(Clip.cache_key == key))
        # Verified, not just present: a damaged file is built again rather than published.
        if cached is not None and self.store.verify(cached.sha256, cached.ext):
            return cached
        tmp = self.store.temp_path(f".{profile.extension}")
        rate = profile.sample_rate
        cmd = [self.ffmpeg.exe, "-hide_banner", "-nostdin", "-loglevel", "error",
               "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
               "-ac", str(profile.channels), "-c:a", profile.codec]
        if profile.codec != "pcm_s16le":
            cmd += ["-b:a", profile.bitrate]
        if profile.codec == "libmp3lame":
            from broadcaster.media.ffmpeg import LAME_LEVEL

            cmd += ["-af", f"volume={1 / LAME_LEVEL:.6f}"]
        cmd += ["-map_metadata", "-1", "-f", {"m4a": "ipod", "opus": "ogg"}.get(
            profile.format, profile.format), "-y", str(tmp)]
        frames = 0
        gap = AudioSegment.silent(duration=gap_ms, frame_rate=rate)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        try:
            try:
                for index, segment in enumerate(self._segments(items, station_name, profile,
                                                               engines, fade_ms)):
                    if index and gap_ms:
                        proc.stdin.write(gap.raw_data)
                        frames += int(gap.frame_count())
                    proc.stdin.write(segment.raw_data)
                    frames += int(segment.frame_count())
                proc.stdin.close()
                broken = False
            except BrokenPipeError:  # ffmpeg stopped reading: its stderr says why
                broken = True
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            if proc.wait(timeout=self.ffmpeg.timeout) != 0 or broken:
                raise failure(stderr, "ffmpeg failed while encoding programme", tmp)
            stored = self.store.add_file(tmp, profile.extension)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            tmp.unlink(missing_ok=True)
        decoded, decoded_rate = self.ffmpeg.decode(stored.path, rate)
        level = measure(decoded, decoded_rate)
        clip_fields = dict(
            sha256=stored.sha256, ext=stored.ext, size_bytes=stored.size_bytes,
            duration_ms=round(1000 * frames / rate), loudness_lufs=round(level.integrated_lufs, 2),
            true_peak_dbtp=round(level.true_peak_dbtp, 2), profile=profile.name,
            engine="programme", voice="", rate=1.0, normalizer_version="",
            text_sha256=key, fallback=False, request=request)
        with transaction(self.sessions) as session:
            clip = session.scalar(select(Clip).where(Clip.cache_key == key))
            if clip is None:
                clip = Clip(cache_key=key)
                session.add(clip)
            for name, value in clip_fields.items():
                setattr(clip, name, value)
        return clip

    def build(self, programme: ProgrammeDef, profile: Profile, station_name: str = "",
              engines: tuple[str, ...] | None = None) -> BuiltProgramme:
        """Build a programme (for one station when it has an ident)."""
        if programme.has_ident and not station_name:
            raise InputError(f"programme {programme.code} has a station ident: build it for a "
                             "station (--station CODE)")
        chain = engines or self.renderer.config.engine_chain
        parts: list[Part] = []
        run: list[ItemDef] = []

        def flush(station: str = "", tail_gap: bool = False) -> None:
            if not run:
                return
            items = [*run, ItemDef(ItemKind.SILENCE, duration_ms=programme.gap_ms)] if tail_gap \
                and programme.gap_ms else list(run)
            key = _build_key(programme, items, profile, station, len(parts),
                             self.recordings_dir)
            request = {"programme": programme.code, "part": len(parts) + 1,
                       "station": station, "profile": profile.name}
            clip = self._assemble(key, items, station, profile, chain, programme.gap_ms,
                                  programme.fade_ms, request)
            parts.append(Part("audio", clip.duration_ms, clip=clip))
            run.clear()

        # Idents are parts of their own, so everything else is built once and shared by
        # every station; the gap that would follow an item is kept at the end of its part.
        items = programme.items
        for index, item in enumerate(items):
            more = index + 1 < len(items) and items[index + 1].kind != "relay"
            if item.kind == "ident":
                flush(tail_gap=True)
                run.append(item)
                flush(station_name, tail_gap=more)
                continue
            if item.kind != "relay":
                run.append(item)
                continue
            flush()
            fallback = None
            if item.fallback:
                recorded = fallback_item(item.fallback)
                key = _build_key(programme, [recorded], profile, "", len(parts),
                                 self.recordings_dir)
                fallback = self._assemble(key, [recorded], "", profile,
                                          chain, 0, programme.fade_ms,
                                          {"programme": programme.code, "fallback": True})
            parts.append(Part("relay", item.duration_ms or 0, url=item.value, fallback=fallback))
        flush()
        return BuiltProgramme(programme.code, programme.title, tuple(parts))


def _build_key(programme: ProgrammeDef, items: Sequence[ItemDef], profile: Profile,
               station_name: str, index: int, base: Path) -> str:
    """Identity of an assembled run: the items, their files' content, profile and station."""
    files = {}
    for item in items:
        path = Path(item.value) if Path(item.value).is_absolute() else base / item.value
        if item.kind == "file" and path.is_file():
            files[item.value] = hashlib.sha256(path.read_bytes()).hexdigest()
    payload = {"items": [asdict(i) for i in items], "files": files, "gap": programme.gap_ms,
               "fade": programme.fade_ms, "profile": asdict(profile), "station": station_name,
               "index": index, "version": BUILD_VERSION}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
                          ).hexdigest()


def fallback_item(text: str) -> ItemDef:
    """A relay's fallback as an item: ``jingle:NAME`` plays a shipped jingle or tone (no
    recording needed), anything else is a recorded file."""
    kind, sep, name = text.partition(":")
    if sep and kind == ItemKind.JINGLE and name:
        return ItemDef(ItemKind.JINGLE, name)
    return ItemDef(ItemKind.FILE, text)


def parse_item(text: str) -> ItemDef:
    """``KIND:VALUE`` from the command line, e.g. ``jingle:mo-dau``, ``silence:2s``,
    ``relay:URL|30m|fallback.mp3``."""
    kind, sep, value = text.partition(":")
    if not sep or kind not in ITEM_KINDS:
        raise InputError(f"item {text!r}: write KIND:VALUE with KIND one of "
                         f"{', '.join(ITEM_KINDS)}")
    if kind == "silence":
        return ItemDef(ItemKind.SILENCE, duration_ms=parse_duration(value))
    if kind == "relay":
        url, _, rest = value.partition("|")
        duration, _, fallback = rest.partition("|")
        if not url or not duration:
            raise InputError(f"item {text!r}: a relay is relay:URL|DURATION[|FALLBACK-FILE]")
        return ItemDef(ItemKind.RELAY, url, parse_duration(duration), fallback or None)
    if not value:
        raise InputError(f"item {text!r}: the {kind} needs a value")
    if kind == "document":
        check_code(value, "document")
    return ItemDef(ItemKind(kind), value)


def save_programme(session: Session, programme: ProgrammeDef, *, origin: str,
                   owner_group: str | None = None) -> tuple[Programme, str]:
    """Create or update a programme; returns it and 'added', 'changed' or 'unchanged'.

    ``origin`` is the maker (see :mod:`broadcaster.origins`): a programme made by another
    maker that this one may not change is refused. ``owner_group`` is the group whose editors
    may change a new programme (None: admins only); an existing programme keeps its owner.
    """
    check_code(programme.code, "programme")
    if not programme.items:
        raise InputError(f"programme {programme.code}: it has no items")
    row = session.scalar(select(Programme).where(Programme.code == programme.code))
    data = programme.to_json()
    if row is None:
        row = Programme(code=programme.code, title=programme.title, definition=data,
                        origin=origin, owner_group=owner_group)
        session.add(row)
        status = "added"
    else:
        check_change("programme", programme.code, row.origin, origin)
        if row.definition == data and row.title == programme.title:
            return row, "unchanged"
        row.title, row.definition, row.updated_at = programme.title, data, utcnow()
        status = "changed"
    session.flush()
    return row, status


def get_programme(session: Session, code: str) -> ProgrammeDef:
    """The programme with this code."""
    row = session.scalar(select(Programme).where(Programme.code == code))
    if row is None:
        raise NotFound(f"no programme with code {code!r}")
    return ProgrammeDef.from_json(row.definition)


def list_programmes(session: Session) -> list[ProgrammeDef]:
    """Every programme, by code."""
    rows = session.scalars(select(Programme).order_by(Programme.code))
    return [ProgrammeDef.from_json(r.definition) for r in rows]


MAX_ITEM_MS = 24 * 3600 * 1000   # a silence or a relay lasts at most a day


def parse_duration(value: str | int | float) -> int:
    """``"90s"``, ``"2m"``, ``"1m30s"``, ``"1h"`` or seconds -> milliseconds."""
    try:
        milliseconds = round(parse(str(value)).total_seconds() * 1000)
    except (ValueError, OverflowError):
        raise InputError(f"{str(value)[:40]!r} is not a duration like 90s, 2m, 1m30s or 1h"
                         ) from None
    if milliseconds > MAX_ITEM_MS:
        raise InputError(f"{str(value)[:40]!r} is longer than a programme item may be (24h)")
    return milliseconds


__all__ = [
    "ITEM_KINDS",
    "Builder",
    "BuiltProgramme",
    "ItemDef",
    "Part",
    "ProgrammeDef",
    "find_asset",
    "get_programme",
    "list_programmes",
    "parse_duration",
    "parse_item",
    "save_programme",
]
