"""Speech: engines behind one interface, and the renderer that turns text into clips.

Importing this package registers the engines (the line below is the only list of them) but
loads no numpy: an engine module imports its heavy libraries when it is built or speaks, so the
server's settings table can gather every engine's settings (``broadcaster.settings_table``)
for quick commands too. The renderer and the rest are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from broadcaster.speech import espeak, gtts, piper  # noqa: F401  (register the engines)
from broadcaster.speech.base import (
    ENGINES,
    Audio,
    Engine,
    build_engine,
    engine_class,
    engine_settings,
)

if TYPE_CHECKING:
    from broadcaster.speech.render import (
        Renderer,
        RenderRequest,
        RenderResult,
        SpeechSettings,
        cache_key,
        engine_names,
        text_request,
    )

_LAZY = {name: "broadcaster.speech.render" for name in (
    "Renderer", "RenderRequest", "RenderResult", "SpeechSettings", "cache_key", "engine_names",
    "text_request")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'broadcaster.speech' has no attribute {name!r}")


__all__ = [
    "ENGINES",
    "Audio",
    "Engine",
    "RenderRequest",
    "RenderResult",
    "Renderer",
    "SpeechSettings",
    "build_engine",
    "cache_key",
    "engine_class",
    "engine_names",
    "engine_settings",
    "text_request",
]
