"""``users`` commands: accounts of the web UI."""

from __future__ import annotations

from pathlib import Path

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.db import transaction
from broadcaster.domain.vocabulary import Role
from broadcaster.errors import InputError
from broadcaster.users import (
    add_user,
    list_users,
    set_password,
    set_role,
    sign_out_everywhere,
)


@main.group(short_help="Add, change and list web UI users.")
def users() -> None:
    """Accounts of the operators' web UI (admin, editor of one group, viewer). Changing a
    user's password or role, or signing it out, ends every session it has open."""


def _read_password(password_file: Path | None) -> str:
    """The first line of ``password_file``, or a password prompted for (twice)."""
    if password_file is None:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{password_file}: cannot read the password ({exc.strerror})"
                         ) from None
    return lines[0] if lines else ""


PASSWORD_FILE = click.option(
    "--password-file", type=click.Path(path_type=Path, dir_okay=False),
    help="Read the password from the first line of this file (default: prompt).")


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True,
              help="admin: everything; editor: one group and below; viewer: read only.")
@click.option("--group", help="The group an editor may edit (its code).")
@PASSWORD_FILE
@pass_ctx
def users_add(ctx: Context, name: str, role: str, group: str | None,
              password_file: Path | None) -> None:
    """Create a user; the password is prompted for (twice) unless --password-file is given."""
    password = _read_password(password_file)
    with transaction(ctx.app.sessions) as session:
        user = add_user(session, name, role, password, group)
    scope = f" of group {user.group}" if user.group else ""
    click.echo(f"user {user.name} added: {user.role}{scope}; sign in at /ui/")


@users.command("password")
@click.argument("name")
@PASSWORD_FILE
@pass_ctx
def users_password(ctx: Context, name: str, password_file: Path | None) -> None:
    """Give a user a new password; its open sessions end."""
    password = _read_password(password_file)
    with transaction(ctx.app.sessions) as session:
        user = set_password(session, name, password)
    click.echo(f"user {user.name}: password changed; its sessions have ended")


@users.command("role")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True,
              help="The new role.")
@click.option("--group", help="The group an editor may edit (its code).")
@pass_ctx
def users_role(ctx: Context, name: str, role: str, group: str | None) -> None:
    """Change a user's role (and an editor's group); its open sessions end."""
    with transaction(ctx.app.sessions) as session:
        user = set_role(session, name, role, group)
    scope = f" of group {user.group}" if user.group else ""
    click.echo(f"user {user.name}: now {user.role}{scope}; its sessions have ended")


@users.command("signout")
@click.argument("name")
@pass_ctx
def users_signout(ctx: Context, name: str) -> None:
    """End every open session of a user (a lost or shared device)."""
    with transaction(ctx.app.sessions) as session:
        user = sign_out_everywhere(session, name)
    click.echo(f"user {user.name}: every session has ended")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def users_list(ctx: Context, as_json: bool) -> None:
    """List users with their role and group."""
    with ctx.app.sessions() as session:
        rows = [{"name": u.name, "role": u.role, "group": u.group_code,
                 "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}
                for u in list_users(session)]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']:<20} {row['role']:<7} {row['group'] or '-':<20} "
                   f"{row['last_login_at'] or 'never signed in'}")
