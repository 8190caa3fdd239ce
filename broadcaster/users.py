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
from broadcaster.domain.vocabulary import ROLES
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
    session_version: int = 0   # sessions signed with another value have ended

    @property
    def can_edit(self) -> bool:
        """Admins and editors change things; viewers only read."""
        return self.role in ("admin", "editor")


def _operator(user: User) -> Operator:
    return Operator(user.id, user.name, user.role, user.group_code, user.session_version or 0)


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


class Credentials(NamedTuple):
    """What checking a password needs: the user's id and stored hash (no session kept)."""

    user_id: int
    password_hash: str


def credentials(session: Session, name: str) -> Credentials | None:
    """The id and password hash of user ``name``, or None when there is no such user."""
    row = session.execute(select(User.id, User.password_hash).where(User.name == name)).first()
    return Credentials(row[0], row[1]) if row is not None else None


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; with None (no such user), the same work
    against a dummy hash, and False. CPU- and memory-heavy (Argon2id): the web UI runs it in
    its bounded password pool."""
    try:
        if password_hash is None:
            _hasher.verify(_dummy_hash(), password)
            return False
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return bool(_hasher.check_needs_rehash(password_hash))


def signed_in(session: Session, user_id: int, new_hash: str | None = None) -> Operator:
    """Record a successful sign-in of ``user_id`` (and store ``new_hash`` when its password
    was rehashed with today's parameters); the signed-in user."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    if new_hash is not None:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    return _operator(user)


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(8)))
    return _dummy[0]


# -- changes that end every session of a user ------------------------------------------------

def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"there is no user {name!r}")
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """End every session of ``user_id`` (sign-out): sessions carry the version they were made
    with, and the web UI refuses any other than the user's current one."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version = (user.session_version or 0) + 1


def set_password(session: Session, name: str, password: str) -> Operator:
    """Give user ``name`` a new password and end its sessions."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"user {name}: the password needs at least {MIN_PASSWORD} characters")
    user = _user(session, name)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)
    return _operator(user)


def set_role(session: Session, name: str, role: str, group: str | None = None) -> Operator:
    """Change the role (and an editor's group) of user ``name`` and end its sessions."""
    if role not in ROLES:
        raise InputError(f"user {name}: unknown role {role!r}; use one of {', '.join(ROLES)}")
    if role == "editor" and not group:
        raise InputError(f"user {name}: an editor needs --group (the group it may edit)")
    user = _user(session, name)
    user.role = role
    user.group_code = get_group(session, group).code if group else None
    end_sessions(session, user.id)
    return _operator(user)


def sign_out_everywhere(session: Session, name: str) -> Operator:
    """End every session of user ``name`` (a lost or shared device)."""
    user = _user(session, name)
    end_sessions(session, user.id)
    return _operator(user)


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
