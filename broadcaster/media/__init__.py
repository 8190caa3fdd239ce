"""Media: the ffmpeg wrapper, loudness measurement and the content-addressed store."""

from broadcaster.media.ffmpeg import Ffmpeg, FfmpegError, find_ffmpeg
from broadcaster.media.loudness import Loudness, measure, normalise
from broadcaster.media.store import MediaStore, StoredFile, sha256_file

__all__ = [
    "Ffmpeg",
    "FfmpegError",
    "Loudness",
    "MediaStore",
    "StoredFile",
    "find_ffmpeg",
    "measure",
    "normalise",
    "sha256_file",
]
