"""Who is asking: the station a bearer token belongs to, and whether it may read ``code``.

Order of the answers (so that nobody without a valid token learns which codes exist):

1. no ``Authorization: Bearer`` header, or a token that belongs to no station: 401;
2. a valid token, but ``code`` is no station (nor a former code): 404;
3. a valid token of another station: 403.

The presented token is checked against the requested station with a constant-time comparison.
Only when that fails is its owner looked up, by the sha256 of the token: an index lookup on a
hash reveals nothing useful about any stored token through its timing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.db import Station
from broadcaster.errors import NotFound
from broadcaster.stations import get_station, hash_token, token_matches
from broadcaster.web._http import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="broadcaster"'}


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def unauthorized(message: str) -> ApiError:
    """A 401 with the Bearer challenge."""
    return ApiError(401, message, dict(CHALLENGE))


def authorize(sessions: sessionmaker[Session], code: str, token: str) -> str:
    """The station code (current, even when asked by a former code) ``token`` may read."""
    with sessions() as session:
        try:
            station: Station | None = get_station(session, code)
        except NotFound:
            station = None
        if station is not None and token_matches(station, token):
            return station.code
        owner = session.scalar(select(Station.code)
                               .where(Station.token_sha256 == hash_token(token)))
    if owner is None:
        raise unauthorized("the bearer token is not valid for any station; ask the province "
                           "for a new one")
    if station is None:
        raise ApiError(404, f"there is no station with code {code!r}")
    raise ApiError(403, f"the token belongs to station {owner}; it may not read station {code}")
