"""``CODE.xml``: an XMLTV programme guide, for radio and TV stations.

Times are the station's wall clock with its offset, to the whole second (the format has no
sub-second times; the fraction is dropped, never rounded up). The files name ``xmltv.dtd``
(our subset of the XMLTV DTD, see :func:`xmltv_dtd`), published next to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from broadcaster import xmltv_ids
from broadcaster.domain.labels import titles
from broadcaster.domain.vocabulary import Priority
from broadcaster.errors import InputError
from broadcaster.planning.items import PlaylistItem, StationInfo
from broadcaster.publish.formats._core import (
    FormatInput,
    PublicationFormat,
    aware,
    in_play_order,
    whole_seconds,
    zone_of,
)

PRIORITY_LABELS_VI = titles(Priority)   # the one Vietnamese table: domain/labels.py
XMLTV_DTD_NAME = "xmltv.dtd"
XMLTV_TIME = "%Y%m%d%H%M%S %z"


def xmltv_dtd() -> bytes:
    """The DTD the XMLTV files are written against; publish it next to them as ``xmltv.dtd``."""
    return resources.files("broadcaster.publish").joinpath(XMLTV_DTD_NAME).read_bytes()


def _xmltv_time(dt: datetime, zone: ZoneInfo) -> str:
    return whole_seconds(dt, zone).strftime(XMLTV_TIME)


def _programme(channel: str, item: PlaylistItem, zone: ZoneInfo) -> Any:
    programme = etree.Element("programme", {
        "start": _xmltv_time(item.start, zone), "stop": _xmltv_time(item.end, zone),
        "channel": channel})
    etree.SubElement(programme, "title", {"lang": "vi"}).text = item.title
    if item.description:
        etree.SubElement(programme, "desc", {"lang": "vi"}).text = item.description
    etree.SubElement(programme, "category", {"lang": "en"}).text = item.priority
    etree.SubElement(programme, "category", {"lang": "vi"}).text = \
        PRIORITY_LABELS_VI[item.priority]
    return programme


def xmltv(channels: Sequence[tuple[StationInfo, Sequence[PlaylistItem]]],
          generated_at: datetime, channel_ids: Mapping[str, str] | None = None) -> bytes:
    """An XMLTV guide for the given channels: every ``<channel>``, then every ``<programme>``.

    A channel's id is its RFC 2838 name from ``channel_ids`` (station code -> id, see
    ``broadcaster.xmltv_ids``); a code missing there is named under the default domain
    (``PTTH-BS`` -> ``ptth-bs.broadcaster.invalid``). Times are the station's wall clock with
    its offset (``20260504060000 +0700``). Each programme has a Vietnamese title, its
    description when there is one, and its priority twice as category: the code
    (``lang="en"``) and the Vietnamese label (``lang="vi"``). The document names ``xmltv.dtd``
    (see ``xmltv_dtd``).
    """
    aware(generated_at, "XMLTV generated_at")
    codes = [station.code for station, _ in channels]
    if len(set(codes)) < len(codes):
        twice = sorted({c for c in codes if codes.count(c) > 1})
        raise InputError(f"XMLTV: channel {', '.join(twice)} is given twice")
    try:
        ids = xmltv_ids.channel_ids(codes, xmltv_ids.DEFAULT_DOMAIN, channel_ids)
    except ValueError as exc:
        raise InputError(f"XMLTV: {exc}") from None
    tv = etree.Element("tv", {"date": generated_at.astimezone(UTC).strftime(XMLTV_TIME),
                              "generator-info-name": "broadcaster"})
    programmes: list[Any] = []
    for station, items in channels:
        zone = zone_of(station)
        where = f"XMLTV channel {station.code}"
        try:
            channel = etree.SubElement(tv, "channel", {"id": ids[station.code]})
            etree.SubElement(channel, "display-name", {"lang": "vi"}).text = station.name
            for item in in_play_order(station, items):
                where = f"XMLTV channel {station.code}, item {item.id}"
                programmes.append(_programme(ids[station.code], item, zone))
        except ValueError as exc:  # lxml refuses control characters and the like
            raise InputError(f"{where}: text that XML cannot hold ({exc})") from exc
    tv.extend(programmes)
    return etree.tostring(tv, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype=f'<!DOCTYPE tv SYSTEM "{XMLTV_DTD_NAME}">')


def render(given: FormatInput) -> bytes:
    """The station's guide: its programmes as listeners see them (its airings)."""
    return xmltv([(given.station, given.airings)], given.now, given.channel_ids)


FORMAT = PublicationFormat("xmltv", "{code}.xml", "application/xml", render, scope="channel")
