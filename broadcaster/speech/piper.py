"""The offline neural engine: piper (piper-tts) with a voice model the operator supplies.

The model is an ``.onnx`` file with its ``.onnx.json`` config beside it (e.g. a Vietnamese voice
such as ``vi_VN-vais1000-medium``). broadcaster never downloads one: the operator places the file
and sets ``piper_model``; a missing file is a clear error naming the path.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadcaster.config import Config
from broadcaster.errors import EngineError, EngineUnavailable
from broadcaster.settings import setting
from broadcaster.speech.base import Audio, Engine, register, trim_silence


@dataclass(frozen=True)
class PiperSettings:
    """piper's settings (gathered into the server's table)."""

    piper_model: str = setting("", "Path to the piper voice model (.onnx) the operator "
                               "supplies.")


@register
class PiperEngine(Engine):
    """piper neural TTS; one voice per model file."""

    NAME = "piper"
    OFFLINE = True
    MAX_CHARS = 400
    SETTINGS = PiperSettings

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        model = config.section(PiperSettings).piper_model
        if not model:
            raise EngineUnavailable("piper: no voice model configured; set 'piper_model' "
                                    "(BROADCASTER_PIPER_MODEL) to the path of a .onnx voice file")
        self.model = Path(model)
        if not self.model.is_file():
            raise EngineUnavailable(f"piper: voice model file {self.model} does not exist")
        self.model_config = Path(f"{self.model}.json")
        if not self.model_config.is_file():
            raise EngineUnavailable(f"piper: voice config {self.model_config} does not exist "
                                    "(it must sit next to the model)")
        try:
            from piper import PiperVoice
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EngineUnavailable(f"piper: the piper-tts package is missing ({exc})") from None
        try:
            self.voice = PiperVoice.load(self.model, config_path=self.model_config)
        except Exception as exc:
            raise EngineUnavailable(f"piper: cannot load voice model {self.model}: {exc}") \
                from None
        self._digest = _file_digest(self.model)
        self._lock = threading.Lock()

    def resolve_voice(self, voice: str) -> str:
        if voice in ("", "north", "central", "south", self.model.name, str(self.model)):
            return self.model.name
        raise EngineError(f"engine 'piper' has one voice per model file; configured model is "
                          f"{self.model.name}, not {voice!r}")

    def default_voice(self) -> str:
        return self.model.name

    def identity(self, voice: str) -> str:
        return f"piper:{voice}:{self._digest}"

    def synthesize(self, text: str, voice: str, rate: float) -> Audio:
        import numpy as np
        from piper import SynthesisConfig

        syn = SynthesisConfig(length_scale=1.0 / rate, normalize_audio=True)
        with self._lock:
            parts: list[Any] = list(self.voice.synthesize(text, syn_config=syn))
        if not parts:
            raise EngineError(f"piper: the model produced no audio for {text[:40]!r}")
        samples = np.concatenate([p.audio_float_array.astype(np.float32) for p in parts])
        return Audio(trim_silence(samples), int(parts[0].sample_rate))


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()[:16]
