"""The JSON bodies stations send (validated by pydantic; errors answer 422 naming the field).

Every value is bounded by what the database holds, so that no report can reach it and fail
there: integers by their column (``publication`` is a 32-bit INTEGER, ``disk_free_bytes`` a
64-bit BIGINT), times to the years 2000-2199 (a station's clock may be wrong, but not by
centuries; year 1 or 9999 with an offset cannot even be turned into UTC), and text without
NUL characters (PostgreSQL refuses them) within its column's length. JSON ``false`` is not
the number 0, nor a number a time. The OpenAPI document says all of this (patterns, bounds),
so that a client generated from it sends nothing the server refuses.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)

from broadcaster.reports import Heartbeat, Outcome, PlayReport

MAX_PLAYS = 500
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_PLAYING_DEPTH = 8


def _sane_time(moment: datetime) -> datetime:
    """The moment in UTC, if it is written in the years 2000-2199 (so that moving it to UTC
    cannot overflow)."""
    if not EARLIEST.year <= moment.year < LATEST.year:
        raise ValueError(f"the time is out of range (years {EARLIEST.year}-{LATEST.year - 1})")
    return moment.astimezone(UTC)


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("the text contains a NUL character")
    return text


def _item_id(text: str) -> str:
    if not ITEM_ID.match(text):
        raise ValueError(f"{text[:120]!r} is not a playlist item id (ENTRY@STAMP#PART.INDEX)")
    return text


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number is needed, not true or false")
    return value


def _playing(value: dict[str, Any]) -> dict[str, Any]:
    """``playing`` is free-form JSON, shown to operators: NUL characters are replaced (no
    text column holds them); deeper than :data:`MAX_PLAYING_DEPTH` levels is refused."""
    def clean(node: Any, depth: int) -> Any:
        if depth > MAX_PLAYING_DEPTH:
            raise ValueError(f"nested deeper than {MAX_PLAYING_DEPTH} levels")
        if isinstance(node, dict):
            return {clean(k, depth + 1): clean(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(item, depth + 1) for item in node]
        if isinstance(node, str):
            return node.replace("\x00", "\ufffd")
        if isinstance(node, float) and not math.isfinite(node):
            raise ValueError("numbers must be finite")
        return node

    return dict(clean(value, 0))


NO_NUL = r"^[^\u0000]*$"
Time = Annotated[AwareDatetime, Strict(), AfterValidator(_sane_time),
                 Field(json_schema_extra={"pattern": r"^2[01][0-9]{2}-"})]
Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra={"pattern": NO_NUL})]
Publication = Annotated[int, Field(ge=1, le=INT32_MAX), BeforeValidator(_no_bool)]
Bytes = Annotated[int, Field(ge=0, le=INT64_MAX), BeforeValidator(_no_bool)]
ITEM_ID = re.compile(r"^[^@\x00]{1,100}@[^\x00]*$")
ItemId = Annotated[str, Field(min_length=3, max_length=300, description="playlist item id: "
                              "ENTRY@STAMP#PART.INDEX", json_schema_extra={
                                  "pattern": r"^[^@\u0000]{1,100}@[^\u0000]*$"}),
                   AfterValidator(_item_id)]


class HeartbeatIn(BaseModel):
    """``heartbeat``: the station's state at the moment it reports."""

    model_config = ConfigDict(extra="forbid")

    agent_version: Text = Field("", max_length=50)
    publication: Publication | None = Field(None, description="publication number held")
    digest: Text = Field("", max_length=64, description="playlist digest (ETag) held")
    disk_free_bytes: Bytes | None = None
    playing: Annotated[dict[str, Any], AfterValidator(_playing)] = Field(
        default_factory=dict, description=f"what plays now: item, started_at, ... (at most "
                                          f"{MAX_PLAYING_DEPTH} levels deep)")

    def domain(self) -> Heartbeat:
        return Heartbeat(self.agent_version, self.publication, self.digest,
                         self.disk_free_bytes, self.playing)


class PlayIn(BaseModel):
    """One proof-of-play entry; ``id`` is the station's own, unique on that station."""

    model_config = ConfigDict(extra="forbid")

    id: Text = Field(min_length=1, max_length=100)
    item: ItemId
    scheduled_start: Time
    started_at: Time | None = None
    ended_at: Time | None = None
    outcome: Outcome
    detail: Text = Field("", max_length=500)

    def domain(self) -> PlayReport:
        return PlayReport(self.id, self.item, self.scheduled_start, self.outcome,
                          self.started_at, self.ended_at, self.detail)


class ReportIn(BaseModel):
    """``POST .../reports``: a heartbeat, proof-of-play entries, or both."""

    model_config = ConfigDict(extra="forbid")

    heartbeat: HeartbeatIn | None = None
    plays: list[PlayIn] = Field(default_factory=list, max_length=MAX_PLAYS)
