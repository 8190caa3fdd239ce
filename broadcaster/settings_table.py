"""The server's whole settings table: :class:`~broadcaster.config.Config`'s own settings and
each registered speech engine's, and the loader that reads them all.

``config`` sits below ``speech`` and cannot ask the engine registry, so the table is gathered
here, in the wiring tier, for the command line (``cli.Context``, ``config show``), the docs
check and the tests. Importing it loads the engine modules but not numpy (see
``broadcaster.speech``), so quick commands stay quick.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from broadcaster import config
from broadcaster.config import Config
from broadcaster.settings import Setting
from broadcaster.speech import engine_settings


def server_settings() -> tuple[Setting, ...]:
    """Every server setting: Config's own, then each registered engine's."""
    return config.SETTINGS + engine_settings()


def load_config(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    read_file: Callable[[Path], bytes] = Path.read_bytes,
) -> Config:
    """Build the configuration with every engine's settings: defaults < file < environment <
    flags (see :func:`broadcaster.config.build_config`)."""
    return config.build_config(engine_settings(), config_file, env, flags, read_file)
