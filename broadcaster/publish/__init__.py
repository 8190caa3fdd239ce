"""Publication: what each station plays, as files (JSON manifest, M3U8, XMLTV, iCalendar...).

The formats (``broadcaster.publish.formats``, pure: items in, bytes out) are re-exported here.
The publication machinery (``publication``, ``folders``, ``prune``: the database, the disk and
the publish lock) is imported by its full name.
"""

from broadcaster.planning.items import Media, PlaylistItem, StationInfo
from broadcaster.publish.formats import (
    FORMATS,
    XMLTV_DTD_NAME,
    FormatInput,
    Playlist,
    PublicationFormat,
    icalendar_feed,
    xmltv,
    xmltv_dtd,
)

__all__ = [
    "FORMATS",
    "XMLTV_DTD_NAME",
    "FormatInput",
    "Media",
    "Playlist",
    "PlaylistItem",
    "PublicationFormat",
    "StationInfo",
    "icalendar_feed",
    "xmltv",
    "xmltv_dtd",
]
