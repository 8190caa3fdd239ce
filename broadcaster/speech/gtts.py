"""The online engine: Google's Vietnamese voice through gTTS.

gTTS cuts text at 100 characters and Google pauses at every cut, so the renderer hands it our own
phrase chunks (at most 100 characters, never cut mid-phrase when a phrase fits) and gTTS sends
each as one request. Requests are throttled; 429 and 5xx answers are retried with exponential
backoff (honouring ``Retry-After``); when Google cannot be reached the engine raises
:class:`EngineUnavailable` so the fallback chain speaks instead.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from broadcaster.config import Config
from broadcaster.errors import EngineError, EngineUnavailable
from broadcaster.settings import setting
from broadcaster.speech.base import Audio, Engine, register, trim_silence

if TYPE_CHECKING:  # loaded when the engine is built (the registry is read without numpy)
    import numpy as np
    import requests

log = logging.getLogger(__name__)

GTTS_MAX_CHARS = 100
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class GttsSettings:
    """gTTS's settings (gathered into the server's table)."""

    gtts_tld: str = setting("com.vn", "Google host suffix used by gTTS.")
    gtts_timeout: float = setting(10.0, "Seconds to wait for one gTTS request.")
    gtts_retries: int = setting(4, "Retries on 429/5xx before gTTS counts as down.")
    gtts_min_interval: float = setting(0.3, "Seconds between two gTTS requests (throttle).")


@register
class GttsEngine(Engine):
    """Google Translate's text-to-speech, ``lang="vi"``. Natural voice; needs the internet."""

    NAME = "gtts"
    OFFLINE = False
    MAX_CHARS = GTTS_MAX_CHARS
    VOICES: ClassVar[dict[str, str]] = {"north": "vi", "central": "vi", "south": "vi"}
    SETTINGS = GttsSettings

    def __init__(self, config: Config, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config)
        from broadcaster.media.ffmpeg import Ffmpeg, find_ffmpeg

        self.settings = config.section(GttsSettings)
        try:
            from gtts import gTTS  # noqa: F401  (checked here, used in _request)
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EngineUnavailable(f"gtts: the gTTS package is missing ({exc})") from None
        self.ffmpeg = Ffmpeg(find_ffmpeg(config.ffmpeg))
        self.sleep = sleep
        self.clock = clock
        self._last_request = -1e9

    def identity(self, voice: str) -> str:
        return f"gtts:{voice}:{self.settings.gtts_tld}"

    def synthesize(self, text: str, voice: str, rate: float) -> Audio:
        if len(text) > GTTS_MAX_CHARS:
            raise EngineError(f"gtts: chunk of {len(text)} characters is over the "
                              f"{GTTS_MAX_CHARS}-character limit")
        from broadcaster.media.ffmpeg import FfmpegError

        mp3 = self._fetch(text)
        try:
            samples, sr = self.ffmpeg.decode(mp3)
        except FfmpegError as exc:
            raise EngineError(f"gtts: Google returned audio that does not decode: {exc}") from None
        audio = trim_silence(samples)
        if abs(rate - 1.0) > 0.01:
            audio = self._tempo(audio, sr, rate)
        return Audio(audio, sr)

    def _tempo(self, samples: np.ndarray, sr: int, rate: float) -> np.ndarray:
        import numpy as np

        pcm = np.asarray(samples, dtype="<f4").tobytes()
        out = self.ffmpeg.run(["-f", "f32le", "-ar", str(sr), "-ac", "1", "-i", "pipe:0",
                               "-af", f"atempo={rate:.3f}", "-f", "f32le", "-"], pcm)
        return np.frombuffer(out, dtype="<f4").copy()

    def _fetch(self, text: str) -> bytes:
        import requests
        from gtts import gTTS, gTTSError

        attempts = self.settings.gtts_retries + 1
        for attempt in range(attempts):
            self._throttle()
            tts = gTTS(text, lang="vi", tld=self.settings.gtts_tld, lang_check=False,
                       pre_processor_funcs=[], timeout=self.settings.gtts_timeout)
            try:
                return b"".join(tts.stream())
            except gTTSError as exc:
                response = exc.rsp
                if response is None:
                    # Connection refused, DNS failure, timeout: Google is out of reach.
                    raise EngineUnavailable(
                        f"gtts: cannot reach Google text-to-speech "
                        f"(translate.google.{self.settings.gtts_tld}): {exc}") from None
                status = response.status_code
                if status not in RETRY_STATUSES or attempt == attempts - 1:
                    kind = EngineUnavailable if status in RETRY_STATUSES or status == 403 \
                        else EngineError
                    raise kind(f"gtts: Google answered HTTP {status} after {attempt + 1} "
                               f"attempt(s): {exc}") from None
                delay = self._backoff(attempt, response)
                log.warning("gtts: HTTP %s, retrying in %.1f s", status, delay)
                self.sleep(delay)
            except requests.RequestException as exc:  # raised while reading the body
                raise EngineUnavailable(f"gtts: connection to Google failed: {exc}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _throttle(self) -> None:
        wait = self._last_request + self.settings.gtts_min_interval - self.clock()
        if wait > 0:
            self.sleep(wait)
        self._last_request = self.clock()

    @staticmethod
    def _backoff(attempt: int, response: requests.Response) -> float:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), 60.0)
        return min(30.0, 0.5 * 2**attempt) * (1.0 + 0.25 * random.random())
