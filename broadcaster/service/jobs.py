"""The work the daemon does on a schedule: plain methods of :class:`Work`, each safe to redo.

Every job is idempotent, so a job cut short (``kill -9``, power loss) is simply run again:

- ``inbox``: store and speak new or changed summaries (documents are keyed by content, clips
  by a cache key: nothing is stored or spoken twice);
- ``render``: build every programme that airs within the lead time (built programmes are
  cached clips, so when all is built this only verifies each clip once: one read and hash);
- ``publish``: publish the window when any station's playlist would change;
- ``offline``: mark stations that missed their check-ins;
- ``prune``: drop old publications and media nothing references any more.

Every job checks ``stop`` between units of work so SIGTERM does not wait for a whole run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from broadcaster.app import App
from broadcaster.db import utcnow
from broadcaster.inbox import Inbox
from broadcaster.publish import prune as pruning
from broadcaster.publish.publication import publish
from broadcaster.reports import mark_offline
from broadcaster.schedule.plan import plan_all

log = logging.getLogger(__name__)


@dataclass
class Work:
    """The daemon's jobs over one :class:`App`."""

    app: App
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], datetime] = utcnow
    inbox: Inbox = field(init=False)
    last_offline: int = 0

    def __post_init__(self) -> None:
        self.inbox = Inbox(self.app, self.app.config.inbox)

    def run_inbox(self) -> str | None:
        results = self.inbox.scan(self.stop)
        changed = [r for r in results if r.outcome in ("new", "revised")]
        failed = [r for r in results if r.outcome in ("failed", "retry")]
        if not changed and not failed:
            return None
        return f"{len(changed)} new or changed, {len(failed)} failed"

    def run_render(self) -> str:
        now = self.clock()
        lead = timedelta(hours=self.app.config.render_lead_hours)
        plans = plan_all(self.app, now, now + lead)
        items = sum(len(p.items) for p in plans)
        return f"{items} items for {len(plans)} stations built up to {now + lead:%Y-%m-%d %H:%MZ}"

    def run_publish(self) -> str:
        now = self.clock()
        window = timedelta(hours=self.app.config.publish_window_hours)
        number, changes = publish(self.app, start=now, window=window, now=now,
                                  note="scheduled", if_changed=True)
        if all(c.status == "unchanged" for c in changes):
            return f"every playlist is unchanged; publication {number} stays in force"
        touched = sum(c.status != "unchanged" for c in changes)
        return f"publication {number}: {touched} of {len(changes)} stations changed"

    def run_offline(self) -> str | None:
        after = timedelta(minutes=self.app.config.offline_after_minutes)
        codes = mark_offline(self.app.sessions, after, self.clock())
        if codes:
            log.warning("stations offline (no report for %s min): %s",
                        self.app.config.offline_after_minutes, ", ".join(codes))
        self.last_offline = pruning.offline_count(self.app)
        if not codes:
            return None
        return f"{len(codes)} newly offline, {self.last_offline} offline in all"

    def run_prune(self) -> str:
        result = pruning.prune(self.app, timedelta(days=self.app.config.retention_days),
                               self.clock())
        return (f"{len(result.publications)} publications and {len(result.media)} media files "
                f"removed ({result.bytes_freed} bytes)")


# Each job returns a one-line summary to log, or None when it found nothing to do.
JOBS: dict[str, Callable[[Work], str | None]] = {
    "inbox": Work.run_inbox,
    "render": Work.run_render,
    "publish": Work.run_publish,
    "offline": Work.run_offline,
    "prune": Work.run_prune,
}
