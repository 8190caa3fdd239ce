"""Speech: engines behind one interface, and the renderer that turns text into clips."""

from broadcaster.speech import espeak, gtts, piper  # noqa: F401  (register the engines)
from broadcaster.speech.base import ENGINES, Audio, Engine, build_engine, engine_class
from broadcaster.speech.render import (
    Renderer,
    RenderRequest,
    RenderResult,
    SpeechSettings,
    cache_key,
    engine_names,
    text_request,
)

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
    "text_request",
]
