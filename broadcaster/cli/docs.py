"""``docs`` commands: add, list and show resolution summaries."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from broadcaster.cli import Context, echo_fields, echo_json, main, pass_ctx
from broadcaster.db import transaction
from broadcaster.documents import (
    add_document,
    document_summary,
    get_document,
    list_documents,
    read_document,
)
from broadcaster.errors import BroadcasterError


@main.group(short_help="Add, list and show documents.")
def docs() -> None:
    """Add, list and show documents (resolution summaries, announcements)."""


@docs.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--key", help="Document key (default: front matter 'key' or the file name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def docs_add(ctx: Context, files: tuple[Path, ...], key: str | None, as_json: bool) -> None:
    """Store .txt, .md or .docx files; a changed file becomes a new revision."""
    if key and len(files) > 1:
        raise click.UsageError("--key works with one file only")
    results, failed = [], 0
    for path in files:
        try:
            parsed = read_document(path, ctx.config.max_document_bytes, key)
            with transaction(ctx.app.sessions) as session:
                result = add_document(session, parsed)
        except BroadcasterError as exc:
            # One bad file does not stop the others; it is reported and the exit code says so.
            failed += 1
            click.echo(f"broadcaster: error: {exc}", err=True)
            continue
        results.append({"file": str(path), **result.__dict__})
        if not as_json:
            click.echo(f"{result.document_id}\t{result.status}\trevision {result.revision}\t"
                       f"{result.key}\t{path}")
    if as_json:
        echo_json(results)
    if failed:
        sys.exit(1)


@docs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def docs_list(ctx: Context, as_json: bool) -> None:
    """List stored documents, newest first."""
    with ctx.app.sessions() as session:
        rows = [document_summary(d) for d in list_documents(session)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no documents yet; add one with: broadcaster docs add FILE")
    for r in rows:
        number = f" [{r['number']}]" if r["number"] else ""
        click.echo(f"{r['id']:>4}  {r['key']:<30} rev {r['revision']:<3} {r['title']}{number}")


@docs.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--spoken", is_flag=True, help="Print the text as it will be spoken.")
@pass_ctx
def docs_show(ctx: Context, ref: str, as_json: bool, spoken: bool) -> None:
    """Show a document (by id or key) with its current text."""
    with ctx.app.sessions() as session:
        doc = get_document(session, ref)
        info = document_summary(doc)
        text = doc.current.text
        history = [{"revision": r.number, "sha256": r.sha256, "source": r.source_name,
                    "created_at": r.created_at.isoformat()} for r in doc.revisions]
    if spoken:
        text = ctx.app.renderer.spoken_text(text, ctx.config.dialect)
    if as_json:
        echo_json({**info, "history": history, "text": text})
        return
    echo_fields(info, ("id", "key", "title", "number", "issuer", "date", "tags", "revision",
                       "encoding", "source"))
    click.echo("")
    click.echo(text)
