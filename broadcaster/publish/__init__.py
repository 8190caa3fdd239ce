"""Publication: what each station plays, as files (JSON, M3U8, XMLTV, iCalendar).

Only the pure format functions are re-exported here; ``broadcaster.publish.publication`` (which
needs the database and the schedule) is imported by its full name, so that the schedule stage
can use these data types without importing the publication machinery.
"""

from broadcaster.planning.items import Media, PlaylistItem, StationInfo
from broadcaster.publish.formats import (
    PRIORITIES,
    XMLTV_DTD_NAME,
    content_digest,
    icalendar_feed,
    manifest_json,
    playlist_m3u8,
    xmltv,
    xmltv_dtd,
)

__all__ = [
    "PRIORITIES",
    "XMLTV_DTD_NAME",
    "Media",
    "PlaylistItem",
    "StationInfo",
    "content_digest",
    "icalendar_feed",
    "manifest_json",
    "playlist_m3u8",
    "xmltv",
    "xmltv_dtd",
]
