"""The files a publication is made of: one module per format, registered in :data:`FORMATS`.

Each format module (``manifest``, ``m3u8``, ``xmltv_guide``, ``ical``...) declares one
:class:`PublicationFormat` named ``FORMAT``: its name, file name, media type, and a pure
render function (items in, bytes out: no database, clock or disk). The publisher writes every
registered format for every station it applies to, and the HTTP app serves every ``served``
one at ``/api/v1/stations/{code}/{file name}``; neither names a format. Adding a format is one
module and one line in :data:`MODULES`.

Times are aware UTC datetimes on the way in (DESIGN "Time"); each format shows them the way
its readers expect (see each module). A station's items are checked and ordered once per zone
(:class:`Playlist`, which also gives the station's digest, its ETag).
"""

from __future__ import annotations

import importlib

from broadcaster.publish.formats._core import (
    DIGEST_FORMAT,
    FormatInput,
    Playlist,
    PublicationFormat,
)
from broadcaster.publish.formats.ical import icalendar_feed
from broadcaster.publish.formats.xmltv_guide import (
    PRIORITY_LABELS_VI,
    XMLTV_DTD_NAME,
    xmltv,
    xmltv_dtd,
)

__all__ = [
    "DIGEST_FORMAT",
    "FORMATS",
    "PRIORITY_LABELS_VI",
    "XMLTV_DTD_NAME",
    "FormatInput",
    "Playlist",
    "PublicationFormat",
    "icalendar_feed",
    "xmltv",
    "xmltv_dtd",
]

# The registered formats, in the order they are written and served: one line each.
MODULES = (
    "manifest",
    "m3u8",
    "xmltv_guide",
    "ical",
    "pls",
)


def _registry(modules: tuple[str, ...]) -> dict[str, PublicationFormat]:
    formats: dict[str, PublicationFormat] = {}
    for module in modules:
        fmt = importlib.import_module(f"{__name__}.{module}").FORMAT
        if not isinstance(fmt, PublicationFormat):
            raise TypeError(f"{__name__}.{module}.FORMAT is not a PublicationFormat")
        if fmt.name in formats:
            raise ValueError(f"two publication formats are named {fmt.name!r}")
        if fmt.scope == "station" and not fmt.file_name.startswith("playlist."):
            raise ValueError(f"format {fmt.name}: a station's file name must start with "
                             f"'playlist.' (not {fmt.file_name!r})")
        if fmt.served and fmt.scope != "station":
            raise ValueError(f"format {fmt.name}: only a station's files are served")
        formats[fmt.name] = fmt
    return formats


FORMATS: dict[str, PublicationFormat] = _registry(MODULES)
