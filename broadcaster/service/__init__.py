"""The daemon: ``broadcaster serve`` runs the HTTP app and (in one process) the scheduler."""

from broadcaster.service.daemon import Daemon, build, serve
from broadcaster.service.jobs import JOBS, Work

__all__ = ["JOBS", "Daemon", "Work", "build", "serve"]
