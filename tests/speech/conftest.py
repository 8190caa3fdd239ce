"""Fixtures for speech tests: a Google TTS stand-in at the HTTP edge only (``responses``).

The stand-in answers gTTS's real requests with real MP3 speech: it decodes the text gTTS sent,
speaks it with espeak-ng and encodes it with ffmpeg, so everything around the HTTP call (gTTS's
request building and response parsing, our chunking, decoding, levelling) runs for real.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
import responses

from broadcaster.config import Config
from broadcaster.media import Ffmpeg, find_ffmpeg
from broadcaster.speech.espeak import EspeakEngine

GOOGLE_URL = re.compile(r"https://translate\.google\.[a-z.]+/_/TranslateWebserverUi/data/"
                        r"batchexecute")


def sent_text(body: str) -> str:
    """The text gTTS put in one batchexecute request."""
    freq = urllib.parse.parse_qs(body)["f.req"][0]
    rpc = json.loads(freq)
    return str(json.loads(rpc[0][0][1])[0])


@dataclass
class FakeGoogle:
    """Scripted answers: a list of statuses/exceptions consumed per request, then 200s."""

    config: Config
    script: list[int | Exception] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.espeak = EspeakEngine(self.config)
        self.ffmpeg = Ffmpeg(find_ffmpeg(""))

    def mp3_for(self, text: str) -> bytes:
        audio = self.espeak.synthesize(text, "vi", 1.0)
        out = self.ffmpeg.run(["-f", "f32le", "-ar", str(audio.sample_rate), "-ac", "1",
                               "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3",
                               "-"], audio.samples.astype("<f4").tobytes())
        return out

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        text = sent_text(str(request.body))
        self.texts.append(text)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, Exception):
            raise step
        self.statuses.append(step)
        if step != 200:
            headers = {"Retry-After": "7"} if step == 429 else {}
            return step, headers, "error"
        audio = base64.b64encode(self.mp3_for(text)).decode()
        line = '[["wrb.fr","jQ1olc","[\\"' + audio + '\\"]",null,null,null,"generic"]]'
        return 200, {}, ")]}'\n\n" + str(len(line)) + "\n" + line + "\n"


@pytest.fixture
def google(offline_config: Config) -> Iterator[FakeGoogle]:
    fake = FakeGoogle(offline_config)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, GOOGLE_URL, callback=fake)
        yield fake


@pytest.fixture
def no_network() -> Iterator[None]:
    """Every HTTP request fails as if the machine had no route to Google."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, GOOGLE_URL,
                 body=requests.ConnectionError("Failed to resolve 'translate.google.com.vn'"))
        yield
