"""The station API as an OpenAPI document (``GET /api/v1/openapi.json``).

The routes read their token and body themselves (so that a request without a valid token is
answered 401 before its body is read); this module only describes them: the bearer token
(or ``?token=`` for players), the report body, every answer with its status, type and body.
The web UI is left out of the document. ``make fuzz-api`` runs schemathesis against it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path
from fastapi.security import APIKeyQuery, HTTPBearer
from pydantic import BaseModel

from broadcaster.codes import CODE
from broadcaster.web._schemas import ReportIn

OPENAPI_URL = "/api/v1/openapi.json"
DESCRIPTION = """\
The pull protocol of commune stations (see docs/station-protocol.md): a station sends its
token as `Authorization: Bearer TOKEN` (players that cannot send headers: `?token=TOKEN`)
and reads its playlist, with `If-None-Match` (304) and `?wait=N` (long-poll); media files
are content-addressed and support `Range`. Every refusal is `{"error": "sentence"}`."""

# Documented only: the route answers any other name 404 (no such file), as a file server does.
MediaName = Annotated[str, Path(json_schema_extra={"pattern": r"^[0-9a-f]{64}\.[a-z0-9]{1,8}$"},
                                description="sha256 of the file's bytes, a dot, its extension")]
# The code syntax of broadcaster.stations, checked before anything else (422).
StationCode = Annotated[str, Path(pattern=CODE.json_pattern, max_length=64,
                                  description="station code (or a former code)",
                                  examples=["XUANLOC-01"])]
_bearer = HTTPBearer(auto_error=False, description="the station's token")
_query_token = APIKeyQuery(name="token", auto_error=False,
                           description="the station's token, for players without headers")
STATION_AUTH = [Depends(_bearer), Depends(_query_token)]


class ErrorOut(BaseModel):
    """Every refusal."""

    error: str


class ReceiptOut(BaseModel):
    """The answer to a report."""

    received: int
    duplicates: int
    last_id: str | None
    publication: int | None
    digest: str | None


class HealthOut(BaseModel):
    """``/healthz``."""

    status: str
    publication: int | None


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "model": ErrorOut}
    if headers:
        answer["headers"] = headers
    return answer


_RETRY = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_ETAG = {"ETag": {"description": "the playlist's digest", "schema": {"type": "string"}}}
_NUL = _error("a NUL character (%00) in the path or query")
STATION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _NUL,
    401: _error("no token, or a token of no station",
                {"WWW-Authenticate": {"schema": {"type": "string"}}}),
    403: _error("the token belongs to another station"),
    404: _error("no such station, or nothing published for it"),
    422: _error("a parameter or the body is invalid"),
    429: _error("too many requests from this station", _RETRY),
}
Answers = dict[int | str, dict[str, Any]]


def playlist_answers(description: str, media_type: str) -> Answers:
    """The answers of a station's served file (a publication format) of ``media_type``."""
    kind = media_type.split(";")[0]
    schema = {"type": "object" if kind == "application/json" else "string"}
    return {200: {"description": description, "headers": _ETAG,
                  "content": {kind: {"schema": schema}}},
            304: {"description": "unchanged (If-None-Match)", "headers": _ETAG},
            **STATION_ERRORS}


REPORTS: Answers = {200: {"description": "stored (idempotent by play id)", "model": ReceiptOut},
           413: _error("the body is too large"), **STATION_ERRORS}
_AUDIO = {"schema": {"type": "string", "format": "binary"}}
MEDIA: Answers = {200: {"description": "the file", "content": {t: _AUDIO for t in (
             "audio/mpeg", "audio/ogg", "audio/mp4", "audio/aac", "audio/wav", "audio/flac",
             "video/mp4", "application/octet-stream")}},
         206: {"description": "the requested byte range",
               "content": {"audio/mpeg": _AUDIO, "application/octet-stream": _AUDIO}},
         304: {"description": "unchanged (If-None-Match)"},
         400: _NUL,
         404: _error("no such media file"),
         416: _error("the range lies outside the file")}
HEALTH: Answers = {200: {"description": "the service answers", "model": HealthOut},
                   400: _NUL}
METRICS: Answers = {200: {"description": "Prometheus metrics",
                          "content": {"text/plain": {"schema": {"type": "string"}}}},
                    400: _NUL}


def report_body() -> dict[str, Any]:
    """``openapi_extra`` of the reports route: its JSON body, as :class:`ReportIn`."""
    schema = ReportIn.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ReportIn"}}}},
        "x-components": {"ReportIn": {k: v for k, v in schema.items() if k != "$defs"},
                         **schema.get("$defs", {})}}


INTERNAL = ("/api/v1/announcements",)   # the hand-over of `broadcaster announce` (local token)


def add_components(document: dict[str, Any]) -> dict[str, Any]:
    """Move the schemas that routes declared in ``x-components`` into ``components``, and
    leave out the routes internal to this host (:data:`INTERNAL`)."""
    document["paths"] = {path: item for path, item in document.get("paths", {}).items()
                         if not path.startswith(INTERNAL)}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for path in document.get("paths", {}).values():
        for operation in path.values():
            schemas.update(operation.pop("x-components", {}))
    return document
