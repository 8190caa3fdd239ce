"""Operators of the web UI: accounts, roles, password hashes and group scope.

Passwords are hashed with Argon2id (``argon2-cffi``: the OWASP-recommended KDF, maintained,
with parameters carried in the hash so they can be raised later). Roles: ``viewer`` reads,
``editor`` edits only the stations and entries of one group and the groups below it, and the
programmes and documents those groups own, ``admin`` does everything (the province-wide "đọc
là" readings too).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.db import transaction
from broadcaster.db.models import Entry, Group, Station, User, utcnow
from broadcaster.errors import InputError, NotFound
from broadcaster.fsutil import atomic_write_bytes
from broadcaster.stations import (
    check_code,
    get_group,
    group_chain,
    list_groups,
    list_stations,
    subtree_ids,
)

log = logging.getLogger(__name__)

ROLES = ("admin", "editor", "viewer")
MIN_PASSWORD = 8
ADMIN_PASSWORD_FILE = "admin-password.txt"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Operator:
    """A signed-in user as the web UI sees it (no password hash)."""

    id: int
    name: str
    role: str
    group: str | None

    @property
    def can_edit(self) -> bool:
        """Admins and editors change things; viewers only read."""
        return self.role in ("admin", "editor")


def _operator(user: User) -> Operator:
    return Operator(user.id, user.name, user.role, user.group_code)


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher.hash(password)


def add_user(session: Session, name: str, role: str, password: str,
             group: str | None = None) -> Operator:
    """Create a user; an editor needs ``group`` (its code or a former code)."""
    check_code(name, "user")
    if role not in ROLES:
        raise InputError(f"user {name}: unknown role {role!r}; use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"user {name}: the password needs at least {MIN_PASSWORD} characters")
    if role == "editor" and not group:
        raise InputError(f"user {name}: an editor needs --group (the group it may edit)")
    group_code = get_group(session, group).code if group else None
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise InputError(f"user {name} already exists")
    user = User(name=name, role=role, group_code=group_code,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return _operator(user)


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def get_operator(session: Session, user_id: int) -> Operator:
    """The user with this id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return _operator(user)


def authenticate(session: Session, name: str, password: str) -> Operator | None:
    """The user if ``password`` is theirs, else None (same work for unknown names)."""
    user = session.scalar(select(User).where(User.name == name))
    try:
        if user is None:
            _hasher.verify(_dummy_hash(), password)
            return None
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return _operator(user)


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(8)))
    return _dummy[0]


def ensure_first_admin(sessions: sessionmaker[Session], home: Path) -> str | None:
    """With no users at all, create ``admin`` with a random password written to
    HOME/admin-password.txt (mode 0600) and return that password; otherwise None."""
    with transaction(sessions) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        password = secrets.token_urlsafe(12)
        add_user(session, "admin", "admin", password)
        path = home / ADMIN_PASSWORD_FILE
        # Written before the user is committed: never an admin whose password nobody has.
        atomic_write_bytes(path, f"{password}\n".encode(), private=True)
    log.warning("created the first web UI user 'admin'; its password is in %s "
                "(sign in at /ui/, then add accounts with 'broadcaster users add')", path)
    return password


# -- scope ------------------------------------------------------------------------------------

def may_edit_group(operator: Operator, group: Group | None) -> bool:
    """True when ``operator`` may change things of ``group`` (None: not in any group)."""
    if operator.role == "admin":
        return True
    if operator.role != "editor" or operator.group is None or group is None:
        return False
    return operator.group in {g.code for g in group_chain(group)}


def may_edit_target(session: Session, operator: Operator, target: str) -> bool:
    """True when ``operator`` may schedule for ``target`` (a station or group code)."""
    if operator.role == "admin":
        return True
    station = session.scalar(select(Station).where(Station.code == target))
    if station is not None:
        return may_edit_group(operator, station.group)
    group = session.scalar(select(Group).where(Group.code == target))
    return group is not None and may_edit_group(operator, group)


class Target(NamedTuple):
    """A group or station someone may schedule for, and whether this operator may."""

    code: str
    name: str
    editable: bool


def targets(session: Session, operator: Operator) -> tuple[list[Target], list[Target]]:
    """Every group (parents first) and every station, each with whether ``operator`` may
    schedule for it; from the loaded rows (one pass, no query per station)."""
    groups = [Target(g.code, g.name, may_edit_group(operator, g)) for g in list_groups(session)]
    stations = [Target(s.code, s.name, may_edit_group(operator, s.group))
                for s in list_stations(session)]
    return groups, stations


def may_edit_entry(session: Session, operator: Operator, code: str) -> bool:
    """True when ``operator`` may change or remove the entry ``code``."""
    entry = session.scalar(select(Entry).where(Entry.code == code))
    return entry is not None and may_edit_target(session, operator, entry.target)


# -- owned things: shared programmes, documents, the province's readings ---------------------

def may_edit_owned(session: Session, operator: Operator, owner_group: str | None) -> bool:
    """True when ``operator`` may change a programme or document owned by ``owner_group``:
    admins always; an editor when the owner is its group or a group below it (None: admins
    only)."""
    if operator.role == "admin":
        return True
    if operator.role != "editor" or owner_group is None:
        return False
    group = session.scalar(select(Group).where(Group.code == owner_group))
    return group is not None and may_edit_group(operator, group)


def owner_for(operator: Operator) -> str | None:
    """The owner group of what ``operator`` creates: its own group (None: admins only)."""
    return operator.group


def may_edit_readings(operator: Operator) -> bool:
    """The "đọc là" readings apply to every document of the province: admins only."""
    return operator.role == "admin"


def editable_owners(session: Session, operator: Operator) -> frozenset[str] | None:
    """The owner groups whose programmes and documents ``operator`` may change, read once
    for a whole list (None: every owner, for an admin; empty for a viewer)."""
    if operator.role == "admin":
        return None
    if operator.role != "editor" or operator.group is None:
        return frozenset()
    rows = session.execute(select(Group.id, Group.parent_id, Group.code)).all()
    top = next((gid for gid, _, code in rows if code == operator.group), None)
    if top is None:
        return frozenset()
    below = subtree_ids([(gid, parent) for gid, parent, _ in rows], top)
    return frozenset(code for gid, _, code in rows if gid in below)
