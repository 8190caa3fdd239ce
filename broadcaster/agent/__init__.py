"""The commune station agent: pull the playlist, keep verified media, play on time, report.

It runs on the station's box (``broadcaster agent``) and needs nothing of the server's
database or configuration. See docs/agent.md. The agent itself is
:class:`broadcaster.agent.runner.Agent`; it is not imported here, so the settings, the
decisions and ``agent status`` work without the HTTP client library.
"""

from broadcaster.agent.clock import Clock, SystemClock
from broadcaster.agent.decide import Cue, Decision, Missed, Playing, Stop, View, decide
from broadcaster.agent.playlist import Item, Manifest, MediaRef, parse_manifest
from broadcaster.agent.settings import SETTINGS, AgentSettings, load_settings
from broadcaster.agent.state import format_status, status

__all__ = ["SETTINGS", "AgentSettings", "Clock", "Cue", "Decision", "Item", "Manifest",
           "MediaRef", "Missed", "Playing", "Stop", "SystemClock", "View", "decide",
           "format_status", "load_settings", "parse_manifest", "status"]
