"""``CODE.ics``: an RFC 5545 calendar of a radio or TV station's programmes.

Times are the station's zone (its VTIMEZONE included), to the whole second (the format has no
sub-second times; the fraction is dropped, never rounded up).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

import icalendar

from broadcaster.planning.items import PlaylistItem, StationInfo
from broadcaster.publish.formats._core import (
    FormatInput,
    PublicationFormat,
    in_play_order,
    whole_seconds,
    zone_of,
)

ICAL_PRODID = "-//broadcaster//publication//VI"
UID_DOMAIN = "broadcaster"


def icalendar_feed(station: StationInfo, items: Sequence[PlaylistItem]) -> bytes:
    """An RFC 5545 calendar of the station's items: one VEVENT per item, no RRULE.

    Each item is one occurrence, so any iCalendar library expands the feed to exactly the
    published items, resumed and pre-empted parts included (an RRULE plus exceptions could not
    say that a part was cut short). UID is ``<item id>@broadcaster``; DTSTART/DTEND are in the
    station's zone, whose VTIMEZONE is included; SUMMARY is the title, CATEGORIES the priority,
    X-BROADCASTER-SHA256 the media digest. DTSTAMP is the item's start in UTC: RFC 5545 requires
    it, and deriving it from the content (not the clock) keeps the file byte-stable.
    """
    zone = zone_of(station)
    cal = icalendar.Calendar()
    cal.add("prodid", ICAL_PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", station.name)
    cal.add("x-wr-calname", station.name)
    cal.add_component(icalendar.Timezone.from_tzid(station.timezone))
    for item in in_play_order(station, items):
        event = icalendar.Event()
        event.add("uid", f"{item.id}@{UID_DOMAIN}")
        event.add("dtstamp", item.start.astimezone(UTC).replace(microsecond=0))
        event.add("dtstart", whole_seconds(item.start, zone))
        event.add("dtend", whole_seconds(item.end, zone))
        event.add("summary", item.title)
        if item.description:
            event.add("description", item.description)
        event.add("categories", [item.priority])
        event.add("x-broadcaster-sha256", item.media.sha256)
        if item.offset_ms:
            event.add("x-broadcaster-offset-ms", str(item.offset_ms))
        cal.add_component(event)
    return cal.to_ical()


def render(given: FormatInput) -> bytes:
    """The station's calendar: its programmes as listeners see them (its airings)."""
    return icalendar_feed(given.station, given.airings)


FORMAT = PublicationFormat("ical", "{code}.ics", "text/calendar", render, scope="channel")
