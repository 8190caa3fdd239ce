"""Speech commands: ``normalize``, ``tts``, ``clips``, ``engines`` and ``demo``."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.config import Config
from broadcaster.db import Clip
from broadcaster.documents import FORMATS, get_document, read_document
from broadcaster.errors import EngineUnavailable, InputError
from broadcaster.fsutil import atomic_copy
from broadcaster.speech import (
    ENGINES,
    RenderRequest,
    RenderResult,
    SpeechSettings,
    build_engine,
    engine_names,
)
from broadcaster.text import chunk_text, decode_bytes

# The example summary, a package copy of docs/examples/nghi-quyet-tom-tat.md (kept identical by
# tests/test_demo_data.py): fsutil.shipped_path(*EXAMPLE).
EXAMPLE = ("demo", "nghi-quyet-tom-tat.md")
LONG_INPUT_CHARS = 800


@dataclass
class Source:
    """Text to speak and where it came from."""

    text: str
    label: str
    speech: dict[str, Any] = field(default_factory=dict)
    revision_id: int | None = None


def _looks_like_path(value: str) -> bool:
    return bool(re.fullmatch(r"[^\s]+\.(txt|text|md|markdown|docx)", value, re.IGNORECASE))


def resolve_input(ctx: Context, value: str) -> Source:
    """INPUT is ``-`` (stdin), ``doc:ID-or-KEY``, a file path, or inline text."""
    if value == "-":
        return Source(decode_bytes(sys.stdin.buffer.read(), "<stdin>").text, "<stdin>")
    if value.startswith("doc:"):
        with ctx.app.sessions() as session:
            doc = get_document(session, value[4:])
            return Source(doc.current.text, f"document {doc.id} ({doc.key})", dict(doc.speech),
                          doc.current.id)
    path = Path(value)
    if path.is_file() and path.suffix.lower() in FORMATS:
        parsed = read_document(path, ctx.config.max_document_bytes)
        return Source(parsed.text, str(path), parsed.speech)
    if _looks_like_path(value):
        raise InputError(f"{value}: no such file")
    return Source(value, "inline text")


@main.command("normalize", short_help="Print a text exactly as it will be spoken.")
@click.argument("text_or_file")
@click.option("--dialect", type=click.Choice(["north", "south"]),
              help="Number reading (default: the 'dialect' setting).")
@click.option("--chunks", type=int, metavar="N",
              help="Also show the chunks an engine taking N characters would get.")
@pass_ctx
def normalize_cmd(ctx: Context, text_or_file: str, dialect: str | None, chunks: int | None
                  ) -> None:
    """Print a text (or file, or doc:ID) exactly as it will be spoken."""
    source = resolve_input(ctx, text_or_file)
    spoken = ctx.app.renderer.spoken_text(source.text, dialect or ctx.config.dialect)
    if chunks:
        for c in chunk_text(spoken, chunks):
            click.echo(f"{c.text}\t[{c.pause}]")
        return
    click.echo(spoken)


def _chain(config: Config, engine: str | None) -> tuple[str, ...]:
    if engine:
        return engine_names([n.strip() for n in engine.split(",") if n.strip()])
    return engine_names(config.engine_chain)


def _describe(result: RenderResult) -> dict[str, Any]:
    clip: Clip = result.clip
    return {
        "clip": clip.id, "path": str(result.path), "sha256": clip.sha256,
        "bytes": clip.size_bytes, "duration_ms": clip.duration_ms,
        "loudness_lufs": clip.loudness_lufs, "true_peak_dbtp": clip.true_peak_dbtp,
        "engine": clip.engine, "voice": clip.voice, "profile": clip.profile,
        "fallback": clip.fallback, "preferred_engine": clip.preferred_engine,
        "cached": result.cached, "failures": list(result.failures),
    }


def _duration(ms: int) -> str:
    minutes, seconds = divmod(ms / 1000, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def speak(ctx: Context, source: Source, *, engine: str | None, profile: str | None,
          voice: str | None, rate: float | None, sentence_pause: int | None,
          paragraph_pause: int | None, dialect: str | None) -> RenderResult:
    """Render a source with the CLI's options over the document's and the profile's defaults."""
    config = ctx.config
    prof = config.get_profile(profile)
    overrides = {**source.speech, **{k: v for k, v in {
        "voice": voice, "rate": rate, "sentence_pause_ms": sentence_pause,
        "paragraph_pause_ms": paragraph_pause}.items() if v is not None}}
    request = RenderRequest(
        text=source.text, profile=prof, engines=_chain(config, engine),
        settings=SpeechSettings.for_profile(prof, overrides),
        dialect=dialect or config.dialect, document_revision_id=source.revision_id)
    renderer = ctx.app.renderer
    long_input = len(source.text) > LONG_INPUT_CHARS
    with _progress(long_input) as bar:
        return renderer.render(request, progress=bar)


class _progress:
    """A tqdm bar on stderr for long inputs (silent when stderr is not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __enter__(self) -> _progress | None:
        return self if self.enabled else None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="chunk", desc="speaking", file=sys.stderr,
                            disable=None, leave=False)
        self.bar.update(done - self.bar.n)

    def __exit__(self, *_exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _report(result: RenderResult, out: Path | None, as_json: bool) -> None:
    info = _describe(result)
    if out is not None:
        info["output"] = str(out)
    if as_json:
        echo_json(info)
        return
    engine = info["engine"] + (f" (fallback for {info['preferred_engine']})"
                               if info["fallback"] else "")
    click.echo(f"duration  {_duration(info['duration_ms'])}")
    click.echo(f"loudness  {info['loudness_lufs']:.1f} LUFS, true peak "
               f"{info['true_peak_dbtp']:.1f} dBTP ({info['profile']} profile)")
    click.echo(f"engine    {engine}, voice {info['voice']}"
               + (", from cache" if info["cached"] else ""))
    for failure in info["failures"]:
        click.echo(f"warning   {failure}", err=True)
    click.echo(f"clip      {info['clip']}  {info['path']}")
    if out is not None:
        click.echo(f"written   {out}")


_speech_options = [
    click.option("--engine", help="Engine or comma-separated chain (default: the 'engines' "
                 "setting), e.g. espeak or gtts,espeak."),
    click.option("--profile", help="Output profile (loudspeaker, radio, ...)."),
    click.option("--voice", help="Accent (north, central, south) or an engine voice name."),
    click.option("--rate", type=float, help="Speaking rate, 1.0 = normal."),
    click.option("--sentence-pause", type=int, metavar="MS", help="Pause between sentences."),
    click.option("--paragraph-pause", type=int, metavar="MS", help="Pause between paragraphs."),
    click.option("--dialect", type=click.Choice(["north", "south"]), help="Number reading."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
]


def speech_options(func: Any) -> Any:
    """Attach the shared speech options to a command."""
    for option in reversed(_speech_options):
        func = option(func)
    return func


@main.command("tts", short_help="Speak a file, doc:ID or text into a clip.")
@click.argument("input_")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Also copy the clip to this file (its extension must match the profile).")
@speech_options
@pass_ctx
def tts_cmd(ctx: Context, input_: str, output: Path | None, as_json: bool,
            **options: Any) -> None:
    """Speak a file, a stored document (doc:ID) or inline text into a clip."""
    source = resolve_input(ctx, input_)
    prof = ctx.config.get_profile(options["profile"])
    if output is not None and output.suffix.lower() != f".{prof.extension}":
        raise InputError(f"{output}: the {prof.name} profile makes .{prof.extension} files; "
                         f"name the output *.{prof.extension} or choose another --profile")
    result = speak(ctx, source, **options)
    if output is not None:
        atomic_copy(result.path, output)
    _report(result, output, as_json)


@main.group("clips")
def clips() -> None:
    """List rendered clips and re-render fallback ones."""


@clips.command("list")
@click.option("--fallback", "only_fallback", is_flag=True, help="Only clips awaiting re-render.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def clips_list(ctx: Context, only_fallback: bool, as_json: bool) -> None:
    """List clips, newest first."""
    from sqlalchemy import select

    query = select(Clip).order_by(Clip.id.desc())
    if only_fallback:
        query = query.where(Clip.fallback.is_(True), Clip.replaced_by_id.is_(None))
    with ctx.app.sessions() as session:
        rows = list(session.scalars(query))
    data: list[dict[str, Any]] = [
        {"clip": c.id, "sha256": c.sha256, "ext": c.ext, "duration_ms": c.duration_ms,
             "loudness_lufs": c.loudness_lufs, "engine": c.engine, "voice": c.voice,
             "profile": c.profile, "fallback": c.fallback, "preferred_engine": c.preferred_engine,
             "replaced_by": c.replaced_by_id, "created_at": c.created_at.isoformat()}
            for c in rows]
    if as_json:
        echo_json(data)
        return
    for d in data:
        flag = f"  fallback for {d['preferred_engine']}" if d["fallback"] else ""
        flag += f", replaced by {d['replaced_by']}" if d["replaced_by"] else ""
        click.echo(f"{d['clip']:>5}  {_duration(d['duration_ms']):>8}  {d['engine']:<7} "
                   f"{d['profile']:<12} {d['sha256'][:12]}.{d['ext']}{flag}")


@clips.command("rerender")
@click.option("--limit", type=int, help="At most this many clips.")
@pass_ctx
def clips_rerender(ctx: Context, limit: int | None) -> None:
    """Re-render fallback clips with their preferred engine, where it works again."""
    results = ctx.app.renderer.rerender_fallbacks(limit)
    if not results:
        click.echo("no fallback clips waiting")
    failed = 0
    for old, new in results:
        if isinstance(new, Clip):
            click.echo(f"clip {old.id} ({old.engine}) replaced by clip {new.id} ({new.engine})")
        else:
            failed += 1
            click.echo(f"clip {old.id}: still waiting: {new}", err=True)
    if failed:
        sys.exit(1)


@main.command("engines", short_help="List speech engines and whether they run here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def engines_cmd(ctx: Context, as_json: bool) -> None:
    """List speech engines, their voices and whether they can run here."""
    rows: list[dict[str, Any]] = []
    for name, cls in sorted(ENGINES.items()):
        try:
            build_engine(name, ctx.config)
            status = "ready"
        except EngineUnavailable as exc:
            status = str(exc)
        voices = sorted(set(cls.VOICES.values())) or ["(one per model file)"]
        rows.append({"name": name, "offline": cls.OFFLINE, "max_chars": cls.MAX_CHARS,
                     "voices": voices, "status": status,
                     "in_chain": name in ctx.config.engine_chain})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        kind = "offline" if r["offline"] else "online"
        click.echo(f"{r['name']:<7} {kind:<8} voices: {', '.join(r['voices'])}")
        click.echo(f"        {r['status']}")
    click.echo(f"chain: {' -> '.join(ctx.config.engine_chain)}")
