"""From text to a finished clip: normalise, speak with the fallback chain, level, encode, store.

The same spoken text + engine (and voice/model) + rate + pauses + normaliser version + output
profile is never synthesised twice: each clip has a ``cache_key`` over exactly those, and the
renderer looks it up before speaking. When a better engine of the chain fails and a later one
speaks, the clip is marked ``fallback`` so :meth:`Renderer.rerender_fallbacks` can replace it
when the better engine is back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.config import Config, Profile
from broadcaster.db import Clip, transaction
from broadcaster.errors import EngineError, EngineUnavailable, InputError
from broadcaster.media import Ffmpeg, Loudness, MediaStore, measure, normalise
from broadcaster.speech.base import Audio, Engine, EngineFactory, build_engine, engine_class
from broadcaster.text import NORMALIZER_VERSION, Chunk, Lexicon, LexiconFiles, chunk_text, normalize

log = logging.getLogger(__name__)

# Bump when the audio pipeline (pauses, levelling, encoding) changes its output.
PIPELINE_VERSION = "1"
PHRASE_PAUSE_FRACTION = 0.35
SPOKEN_CACHE_SIZE = 512

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SpeechSettings:
    """How to speak: voice (accent or engine voice), speed and pauses."""

    voice: str = ""
    rate: float = 1.0
    sentence_pause_ms: int = 450
    paragraph_pause_ms: int = 900

    @classmethod
    def for_profile(cls, profile: Profile, overrides: Mapping[str, Any] | None = None
                    ) -> SpeechSettings:
        """The profile's speech defaults, with per-document or per-call overrides applied."""
        base = cls(profile.voice, profile.rate, profile.sentence_pause_ms,
                   profile.paragraph_pause_ms)
        changes = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
        unknown = set(changes) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise InputError(f"unknown speech setting(s): {', '.join(sorted(unknown))}")
        settings = dataclasses.replace(base, **changes)
        if not 0.5 <= settings.rate <= 2.0:
            raise InputError(f"speaking rate must be between 0.5 and 2.0, got {settings.rate}")
        if not (0 <= settings.sentence_pause_ms <= 10_000
                and 0 <= settings.paragraph_pause_ms <= 10_000):
            raise InputError("pauses must be between 0 and 10000 ms")
        return settings


@dataclass(frozen=True)
class RenderRequest:
    """One thing to speak and how."""

    text: str
    profile: Profile
    engines: tuple[str, ...]
    settings: SpeechSettings
    dialect: str = "north"
    document_revision_id: int | None = None
    spoken: str | None = None  # already-normalised text (re-renders); skips normalisation


@dataclass(frozen=True)
class RenderResult:
    """The clip, where its file is, and how it came to be."""

    clip: Clip
    path: Path
    cached: bool
    failures: tuple[str, ...] = field(default=())


class Renderer:
    """Speaks text into clips in the media store. Build one per process (see ``app``)."""

    def __init__(self, config: Config, sessions: sessionmaker[Session], store: MediaStore,
                 ffmpeg: Ffmpeg, lexicon: Lexicon | LexiconFiles,
                 engine_factory: EngineFactory = build_engine) -> None:
        self.config = config
        self.sessions = sessions
        self.store = store
        self.ffmpeg = ffmpeg
        self._lexicon = lexicon
        self._spoken_with: Lexicon | None = None
        self.engine_factory = engine_factory
        self._engines: dict[str, Engine | EngineUnavailable] = {}
        self._spoken: dict[tuple[bytes, str], str] = {}

    # -- engines -----------------------------------------------------------------------------

    def engine(self, name: str) -> Engine:
        """The named engine, built once; raises EngineUnavailable (remembered) if it cannot run."""
        cached = self._engines.get(name)
        if cached is None:
            try:
                cached = self.engine_factory(name, self.config)
            except EngineUnavailable as exc:
                cached = exc
            self._engines[name] = cached
        if isinstance(cached, EngineUnavailable):
            raise cached
        return cached

    # -- rendering ---------------------------------------------------------------------------

    @property
    def lexicon(self) -> Lexicon:
        """The lexicon as its files are now (a reading added in the UI applies at once)."""
        lexicon = self._lexicon
        return lexicon.current() if isinstance(lexicon, LexiconFiles) else lexicon

    def spoken_text(self, text: str, dialect: str) -> str:
        """The text exactly as it will be spoken (remembered for the last few hundred texts,
        forgotten when the lexicon changes)."""
        lexicon = self.lexicon
        if lexicon is not self._spoken_with:
            self._spoken.clear()
            self._spoken_with = lexicon
        key = (hashlib.sha256(text.encode()).digest(), dialect)
        spoken = self._spoken.get(key)
        if spoken is None:
            spoken = normalize(text, dialect=dialect, lexicon=lexicon)  # type: ignore[arg-type]
            if len(self._spoken) >= SPOKEN_CACHE_SIZE:
                self._spoken.pop(next(iter(self._spoken)))
            self._spoken[key] = spoken
        return spoken

    def render(self, request: RenderRequest, progress: Progress | None = None) -> RenderResult:
        """Return the clip for ``request``, from the cache or freshly spoken."""
        spoken = request.spoken if request.spoken is not None else \
            self.spoken_text(request.text, request.dialect)
        if not spoken.strip():
            raise InputError("there is nothing to speak: the text is empty after normalisation")
        failures: list[str] = []
        preferred = request.engines[0]
        for position, name in enumerate(request.engines):
            try:
                engine = self.engine(name)
                voice = engine.resolve_voice(request.settings.voice)
            except EngineUnavailable as exc:
                failures.append(str(exc))
                log.warning("%s", exc)
                continue
            key = cache_key(spoken, engine, voice, request)
            hit = self._lookup(key, fallback_for=preferred if position else None)
            if hit is not None:
                return RenderResult(hit, self.store.path_for(hit.sha256, hit.ext), True,
                                    tuple(failures))
            try:
                audio = self._speak(engine, spoken, voice, request.settings, progress)
            except EngineUnavailable as exc:
                failures.append(str(exc))
                log.warning("%s; trying the next engine", exc)
                continue
            clip = self._finish(audio, key, spoken, engine, voice, request,
                                fallback=position > 0)
            return RenderResult(clip, self.store.path_for(clip.sha256, clip.ext), False,
                                tuple(failures))
        chain = ", ".join(request.engines)
        raise EngineUnavailable(f"no speech engine could speak (tried {chain}): "
                                + "; ".join(failures))

    def _lookup(self, key: str, fallback_for: str | None) -> Clip | None:
        with self.sessions() as session:
            clip = session.scalar(select(Clip).where(Clip.cache_key == key))
        if clip is None or not self.store.exists(clip.sha256, clip.ext):
            return None
        if fallback_for and not clip.fallback:
            with transaction(self.sessions) as session:
                row = session.get(Clip, clip.id)
                assert row is not None
                row.fallback, row.preferred_engine = True, fallback_for
            clip.fallback, clip.preferred_engine = True, fallback_for
        return clip

    def _speak(self, engine: Engine, spoken: str, voice: str, settings: SpeechSettings,
               progress: Progress | None) -> Audio:
        chunks = chunk_text(spoken, engine.MAX_CHARS)
        pieces: list[np.ndarray] = []
        rate = 0
        for done, chunk in enumerate(chunks, 1):
            audio = engine.synthesize(chunk.text, voice, settings.rate)
            rate = rate or audio.sample_rate
            if audio.sample_rate != rate:
                raise EngineError(f"{engine.NAME}: sample rate changed mid-text "
                                  f"({rate} -> {audio.sample_rate} Hz)")
            pieces.append(audio.samples)
            pieces.append(np.zeros(pause_samples(chunk, settings, rate, last=done == len(chunks)),
                                   dtype=np.float32))
            if progress:
                progress(done, len(chunks))
        return Audio(np.concatenate(pieces).astype(np.float32), rate)

    def _finish(self, audio: Audio, key: str, spoken: str, engine: Engine, voice: str,
                request: RenderRequest, fallback: bool) -> Clip:
        profile = request.profile
        levelled, _estimate = normalise(audio.samples, audio.sample_rate,
                                        profile.loudness_lufs, profile.true_peak_dbtp)
        tmp = self.store.temp_path(f".{profile.extension}")
        try:
            # The encoder (another process) runs while this thread measures the exact levels.
            with ThreadPoolExecutor(max_workers=1) as pool:
                encoding = pool.submit(self._encode, levelled, audio.sample_rate, tmp, profile)
                level = measure(levelled, audio.sample_rate)
                encoding.result()
            if level.true_peak_dbtp > profile.true_peak_dbtp - 0.3:
                # Rare: the estimate was optimistic. Trim and encode again.
                trim = profile.true_peak_dbtp - 0.5 - level.true_peak_dbtp
                levelled = levelled * np.float32(10 ** (trim / 20))
                level = Loudness(level.integrated_lufs + trim, level.true_peak_dbtp + trim)
                self._encode(levelled, audio.sample_rate, tmp, profile)
            stored = self.store.add_file(tmp, profile.extension)
        finally:
            tmp.unlink(missing_ok=True)
        fields = dict(
            sha256=stored.sha256, ext=stored.ext, size_bytes=stored.size_bytes,
            # ffmpeg trims the encoder's delay and padding (LAME tag), so the file decodes to
            # exactly the samples encoded; tests check this against a real decode.
            duration_ms=round(1000 * levelled.size / audio.sample_rate),
            loudness_lufs=round(level.integrated_lufs, 2),
            true_peak_dbtp=round(level.true_peak_dbtp, 2), profile=profile.name,
            engine=engine.NAME, voice=voice, rate=request.settings.rate,
            normalizer_version=NORMALIZER_VERSION,
            text_sha256=hashlib.sha256(spoken.encode()).hexdigest(),
            fallback=fallback, preferred_engine=request.engines[0] if fallback else None,
            request={"spoken": spoken, "profile": profile.name, "dialect": request.dialect,
                     "engines": list(request.engines),
                     "settings": dataclasses.asdict(request.settings)},
            document_revision_id=request.document_revision_id,
        )
        try:
            with transaction(self.sessions) as session:
                clip = session.scalar(select(Clip).where(Clip.cache_key == key))
                if clip is None:  # the usual case; otherwise its file had gone missing
                    clip = Clip(cache_key=key)
                    session.add(clip)
                for name, value in fields.items():
                    setattr(clip, name, value)
        except IntegrityError:
            # Another process rendered the same key first: theirs is as good as ours.
            existing = self._lookup(key, None)
            if existing is None:
                raise
            return existing
        log.debug("clip %s: %s, %.1f s, %.1f LUFS, engine %s%s", clip.id, clip.file_name,
                  clip.duration_ms / 1000, clip.loudness_lufs, clip.engine,
                  " (fallback)" if fallback else "")
        return clip

    def _encode(self, samples: np.ndarray, rate: int, out: Path, profile: Profile) -> None:
        self.ffmpeg.encode(samples, rate, out, codec=profile.codec, out_rate=profile.sample_rate,
                           channels=profile.channels, bitrate=profile.bitrate,
                           fmt=profile.format)

    # -- re-rendering fallbacks --------------------------------------------------------------

    def rerender_fallbacks(self, limit: int | None = None) -> list[tuple[Clip, Clip | str]]:
        """Try the preferred engine again for every fallback clip not yet replaced.

        Returns (old clip, new clip or the reason it failed) per clip tried; one failure does
        not stop the others.
        """
        with self.sessions() as session:
            query = select(Clip).where(Clip.fallback.is_(True), Clip.replaced_by_id.is_(None))
            olds = list(session.scalars(query.order_by(Clip.id).limit(limit)))
        results: list[tuple[Clip, Clip | str]] = []
        for old in olds:
            req = old.request
            profile = self.config.get_profile(req["profile"])
            request = RenderRequest(
                text="", spoken=req["spoken"], profile=profile,
                engines=(old.preferred_engine or req["engines"][0],),
                settings=SpeechSettings(**req["settings"]), dialect=req["dialect"],
                document_revision_id=old.document_revision_id)
            try:
                new = self.render(request).clip
            except EngineError as exc:
                results.append((old, str(exc)))
                continue
            with transaction(self.sessions) as session:
                row = session.get(Clip, old.id)
                assert row is not None
                row.replaced_by_id = new.id
            results.append((old, new))
        return results


def pause_samples(chunk: Chunk, settings: SpeechSettings, rate: int, last: bool) -> int:
    """Silence after a chunk, by the kind of break that follows it (none after the last)."""
    if last:
        return 0
    ms = {"paragraph": settings.paragraph_pause_ms, "sentence": settings.sentence_pause_ms,
          "phrase": settings.sentence_pause_ms * PHRASE_PAUSE_FRACTION}.get(chunk.pause, 0.0)
    return int(rate * ms / 1000)


def cache_key(spoken: str, engine: Engine, voice: str, request: RenderRequest) -> str:
    """The identity of a clip: everything that decides its bytes."""
    payload = {
        "text": spoken,
        "engine": engine.identity(voice),
        "settings": dataclasses.asdict(request.settings) | {"voice": voice},
        "profile": dataclasses.asdict(request.profile),
        "normalizer": NORMALIZER_VERSION,
        "pipeline": PIPELINE_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
                          ).hexdigest()


def engine_names(chain: Sequence[str]) -> tuple[str, ...]:
    """Validate a chain of engine names (unknown names list the valid ones)."""
    for name in chain:
        engine_class(name)
    return tuple(chain)


def text_request(config: Config, text: str, *, profile: str | None = None,
                 speech: Mapping[str, Any] | None = None, revision_id: int | None = None,
                 engines: Sequence[str] | None = None, dialect: str | None = None
                 ) -> RenderRequest:
    """A request for ``text`` with the configured chain, profile and dialect (overridable)."""
    prof = config.get_profile(profile)
    return RenderRequest(
        text=text, profile=prof, engines=engine_names(engines or config.engine_chain),
        settings=SpeechSettings.for_profile(prof, speech), dialect=dialect or config.dialect,
        document_revision_id=revision_id)
