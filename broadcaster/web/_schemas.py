"""The JSON bodies stations send (validated by pydantic; errors answer 422 naming the field)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from broadcaster.reports import Heartbeat, Outcome, PlayReport

MAX_PLAYS = 500


class HeartbeatIn(BaseModel):
    """``heartbeat``: the station's state at the moment it reports."""

    model_config = ConfigDict(extra="forbid")

    agent_version: str = Field("", max_length=50)
    publication: int | None = Field(None, ge=1, description="publication number held")
    digest: str = Field("", max_length=64, description="playlist digest (ETag) held")
    disk_free_bytes: int | None = Field(None, ge=0)
    playing: dict[str, Any] = Field(default_factory=dict,
                                    description="what plays now: item, started_at, ...")

    def domain(self) -> Heartbeat:
        return Heartbeat(self.agent_version, self.publication, self.digest,
                         self.disk_free_bytes, self.playing)


class PlayIn(BaseModel):
    """One proof-of-play entry; ``id`` is the station's own, unique on that station."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    item: str = Field(min_length=3, max_length=300, description="playlist item id")
    scheduled_start: AwareDatetime
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    outcome: Outcome
    detail: str = Field("", max_length=500)

    def domain(self) -> PlayReport:
        return PlayReport(self.id, self.item, _utc(self.scheduled_start), self.outcome,
                          _utc(self.started_at), _utc(self.ended_at), self.detail)


class ReportIn(BaseModel):
    """``POST .../reports``: a heartbeat, proof-of-play entries, or both."""

    model_config = ConfigDict(extra="forbid")

    heartbeat: HeartbeatIn | None = None
    plays: list[PlayIn] = Field(default_factory=list, max_length=MAX_PLAYS)


def _utc(moment: datetime | None) -> Any:
    return moment.astimezone(UTC) if moment is not None else None
