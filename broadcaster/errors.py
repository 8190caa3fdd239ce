"""The errors broadcaster raises on purpose.

Every error an operator may see is a ``BroadcasterError``: its message is a full sentence that
names what failed and where (file, line, field, id). The CLI prints it and exits non-zero; it
never shows a traceback for these.
"""

from __future__ import annotations


class BroadcasterError(Exception):
    """A failure the operator can understand and act on."""

    exit_code = 1


class ConfigError(BroadcasterError):
    """A setting has a bad value or the config file cannot be read."""

    exit_code = 2


class InputError(BroadcasterError):
    """An input file or text was refused (encoding, size, emptiness, format)."""


class EngineError(BroadcasterError):
    """A speech engine cannot run or failed to speak."""


class EngineUnavailable(EngineError):
    """The engine cannot be used right now (missing model, no network); a fallback may speak."""


class NotFound(BroadcasterError):
    """A stored object (document, clip, ...) with the given id does not exist."""


class DiskFull(BroadcasterError):
    """The disk holding a folder (media, publications, the SQLite database) is full;
    ``folder`` is the one that could not be written, when known."""

    def __init__(self, message: str, folder: str | None = None) -> None:
        super().__init__(message)
        self.folder = folder
