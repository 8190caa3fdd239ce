"""Benchmark: the whole ``tts`` pipeline against plain espeak-ng + ffmpeg, and cached re-renders.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_tts.py``). Everything is measured in
the same run on the example summary, so the ratios hold on any machine:

- baseline: the normalised text spoken by libespeak-ng in one call, then encoded to MP3 by
  ffmpeg (the same bundled binary and bitrate), nothing else;
- pipeline: ``Renderer.render`` with the offline engine on an empty cache: normalise, chunk,
  speak, pause, level (BS.1770 + true-peak limiter), encode, decode and measure, store, record;
- cached: ``Renderer.render`` of the same request again (targets: pipeline <= 3x baseline,
  cached < 50 ms).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from broadcaster.app import App
from broadcaster.documents import read_document
from broadcaster.settings_table import load_config
from broadcaster.speech import Renderer, RenderRequest, SpeechSettings
from broadcaster.speech.espeak import BASE_WPM, _library

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "nghi-quyet-tom-tat.md"


def baseline(app: App, spoken: str, bitrate: str) -> tuple[float, float]:
    """Seconds for plain espeak-ng + ffmpeg MP3 encoding, and the audio's length."""
    lib = _library()
    start = time.perf_counter()
    pcm = lib.speak(spoken, "vi", BASE_WPM)
    subprocess.run([app.ffmpeg.exe, "-hide_banner", "-loglevel", "error", "-f", "f32le",
                    "-ar", str(lib.sample_rate), "-ac", "1", "-i", "pipe:0", "-c:a",
                    "libmp3lame", "-b:a", bitrate, "-f", "mp3", "-y", "/dev/null"],
                   input=np.ascontiguousarray(pcm, "<f4").tobytes(), check=True)
    return time.perf_counter() - start, pcm.size / lib.sample_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", default="loudspeaker")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {"BROADCASTER_CONFIG": str(Path(tmp) / "none.toml")}
        (Path(tmp) / "none.toml").touch()
        config = load_config(env=env, flags={"home": Path(tmp) / "var", "engines": "espeak"})
        app = App(config)
        text = read_document(EXAMPLE, config.max_document_bytes).text
        profile = config.get_profile(args.profile)
        spoken = app.renderer.spoken_text(text, config.dialect)
        _library()  # load the library once, outside the timings

        base_times, pipe_times, cached_times, cold_times = [], [], [], []
        audio_s = clip_s = 0.0
        for i in range(args.repeat):
            seconds, audio_s = baseline(app, spoken, profile.bitrate)
            base_times.append(seconds)
            # A fresh request each round (a different pause) so nothing comes from the cache.
            settings = SpeechSettings.for_profile(profile, {"sentence_pause_ms": 500 + i})
            request = RenderRequest(text=text, profile=profile, engines=("espeak",),
                                    settings=settings)
            start = time.perf_counter()
            result = app.renderer.render(request)
            pipe_times.append(time.perf_counter() - start)
            assert not result.cached
            clip_s = result.clip.duration_ms / 1000
            for _ in range(10):
                start = time.perf_counter()
                assert app.renderer.render(request).cached
                cached_times.append(time.perf_counter() - start)
                # A renderer that has not seen the text yet: normalises it again.
                fresh = Renderer(config, app.sessions, app.store, app.ffmpeg, app.lexicon)
                start = time.perf_counter()
                assert fresh.render(request).cached
                cold_times.append(time.perf_counter() - start)
        app.close()

    base, pipe = statistics.median(base_times), statistics.median(pipe_times)
    cached_ms = statistics.median(cached_times) * 1000
    p95_cached = sorted(cached_times)[int(0.95 * len(cached_times)) - 1] * 1000
    print(f"example summary: {len(text):,} characters, {len(spoken):,} spoken characters")
    print(f"baseline  espeak-ng + ffmpeg mp3: {base:6.3f} s for {audio_s:6.1f} s of speech "
          f"(real-time factor {base / audio_s:.4f})")
    print(f"pipeline  broadcaster tts:        {pipe:6.3f} s for {clip_s:6.1f} s of speech "
          f"(real-time factor {pipe / clip_s:.4f})")
    print(f"ratio     pipeline / baseline:    {pipe / base:6.2f}x   (target <= 3x)")
    print(f"cached    re-render:              {cached_ms:6.2f} ms median, {p95_cached:.2f} ms p95 "
          f"(target < 50 ms)")
    cold_ms = statistics.median(cold_times) * 1000
    print(f"cached    re-render, text not yet normalised in this process: {cold_ms:6.2f} ms "
          f"median")
    print(f"medians of {args.repeat} runs; profile {profile.name}")


if __name__ == "__main__":
    main()
