"""The offline engine: libespeak-ng from the espeakng-loader wheel, through ctypes.

No root, no network: the wheel ships the library and its data, Vietnamese voices included
(``vi`` northern, ``vi-vn-x-central``, ``vi-vn-x-south``). The C library keeps global state, so
one process-wide handle is opened lazily and every call holds a lock.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from broadcaster.config import Config
from broadcaster.errors import EngineError, EngineUnavailable
from broadcaster.settings import setting
from broadcaster.speech.base import Audio, Engine, register, trim_silence

if TYPE_CHECKING:  # loaded when the engine is built (the registry is read without numpy)
    import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1
# espeak-ng speaks Vietnamese rather fast at its default 175 words per minute.
BASE_WPM = 160

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)


class _Library:
    """The loaded libespeak-ng with its synthesis callback."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EngineUnavailable(f"espeak: the espeakng-loader package is missing ({exc})") \
                from None
        lib_path = espeakng_loader.get_library_path()
        data_path = Path(espeakng_loader.get_data_path())
        try:
            self.lib = ctypes.CDLL(str(lib_path))
        except OSError as exc:
            raise EngineUnavailable(f"espeak: cannot load {lib_path}: {exc}") from None
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                               ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                          ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                          ctypes.c_void_p, ctypes.c_void_p]
        self.sample_rate = int(self.lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path.parent).encode(), 0))
        if self.sample_rate <= 0:
            raise EngineUnavailable(f"espeak: initialisation failed with data at {data_path}")
        self.lock = threading.Lock()
        self._buffers: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        import numpy as np

        if count > 0:
            self._buffers.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, voice: str, wpm: int) -> np.ndarray:
        import numpy as np

        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EngineError(f"espeak: voice {voice!r} is not installed")
            self.lib.espeak_SetParameter(ESPEAK_RATE, wpm, 0)
            self._buffers = []
            data = text.encode("utf-8")
            status = self.lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0,
                                           ESPEAK_CHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            if status != 0:
                raise EngineError(f"espeak: synthesis failed with status {status}")
            pcm = np.concatenate(self._buffers) if self._buffers else np.zeros(0, np.int16)
            self._buffers = []
        return pcm.astype(np.float32) / 32768.0


@functools.cache
def _library() -> _Library:
    return _Library()


@dataclass(frozen=True)
class EspeakSettings:
    """espeak's settings (gathered into the server's table)."""

    espeak_voice: str = setting("vi", "espeak-ng voice: vi, vi-vn-x-central or vi-vn-x-south.")


@register
class EspeakEngine(Engine):
    """espeak-ng, offline. Intelligible and instant; robotic next to neural voices."""

    NAME = "espeak"
    OFFLINE = True
    MAX_CHARS = 600
    VOICES: ClassVar[dict[str, str]] = {
        "north": "vi", "central": "vi-vn-x-central", "south": "vi-vn-x-south"}
    SETTINGS = EspeakSettings

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.settings = config.section(EspeakSettings)
        self.lib = _library()

    def default_voice(self) -> str:
        voice = self.settings.espeak_voice
        return self.resolve_voice(voice) if voice else self.VOICES["north"]

    def synthesize(self, text: str, voice: str, rate: float) -> Audio:
        pcm = self.lib.speak(text, voice, max(80, min(450, round(BASE_WPM * rate))))
        return Audio(trim_silence(pcm), self.lib.sample_rate)
