"""XMLTV channel ids: RFC 2838 broadcast names, made from station codes (standard library only).

XMLTV names a channel by an RFC 2838 style id: the DNS name of the broadcast, lowercase
(``ptth-bs.binhson.gov.vn``); validators refuse anything else (``tv_validate_file``: "Invalid
channel-id"). A channel's id is its code, lowercased with ``_`` and ``.`` turned into ``-``,
as the first label under the ``xmltv_domain`` setting; the ``xmltv_ids`` setting gives a
channel another id (``PTTH-BS=vov-binhson.binhson.gov.vn``). Both are settings of the
deployment, not of the schedule files: an id must not change when the files are applied
again, and a channel keeps it for as long as its code and the settings stay.

The configuration checks the settings with these functions at start-up; publishing derives
the ids (and refuses two channels with one id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# RFC 2606 keeps .invalid for names that must not resolve: the default says "not set yet".
DEFAULT_DOMAIN = "broadcaster.invalid"
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"{LABEL}(?:\.{LABEL})*")
_ID = re.compile(rf"{LABEL}(?:\.{LABEL})+")
MAX_NAME = 253
_NOT_IN_LABEL = re.compile(r"[^a-z0-9-]")


def is_dns_name(text: str) -> bool:
    """``text`` is a lowercase DNS name: labels of a-z, 0-9 and inner ``-``, up to 63 each."""
    return len(text) <= MAX_NAME and _NAME.fullmatch(text) is not None


def is_channel_id(text: str) -> bool:
    """``text`` is a valid XMLTV channel id: a lowercase DNS name of at least two labels."""
    return len(text) <= MAX_NAME and _ID.fullmatch(text) is not None


def code_label(code: str) -> str:
    """The DNS label standing for a station code: ``PTTH-BS`` -> ``ptth-bs``."""
    return _NOT_IN_LABEL.sub("-", code.lower()).strip("-")


def channel_id(code: str, domain: str, overrides: Mapping[str, str] | None = None) -> str:
    """The XMLTV id of channel ``code``: its override, or its label under ``domain``.

    Raises ValueError (naming the code and the settings to change) when the code makes no
    valid id, e.g. a 64-character code, longer than a DNS label may be.
    """
    if overrides and code in overrides:
        return overrides[code]
    made = f"{code_label(code)}.{domain}"
    if not is_channel_id(made):
        raise ValueError(f"station {code}: {made!r} is not a valid XMLTV channel id "
                         "(RFC 2838: lowercase DNS labels of at most 63 characters); "
                         "give it one with the setting 'xmltv_ids'")
    return made


def channel_ids(codes: Iterable[str], domain: str,
                overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every channel's id; ValueError when one cannot be made or two channels share one."""
    ids: dict[str, str] = {}
    owner: dict[str, str] = {}
    for code in sorted(set(codes)):
        made = channel_id(code, domain, overrides)
        if made in owner:
            raise ValueError(f"stations {owner[made]} and {code} would both have the XMLTV "
                             f"channel id {made!r}; give one of them another with the setting "
                             "'xmltv_ids'")
        ids[code], owner[made] = made, code
    return ids


def parse_overrides(text: str) -> dict[str, str]:
    """The ``xmltv_ids`` setting: ``CODE=id`` pairs separated by commas (spaces allowed).

    Raises ValueError naming the first bad pair.
    """
    overrides: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        code, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not code:
            raise ValueError(f"{pair!r} is not CODE=id")
        if not is_channel_id(value):
            raise ValueError(f"{pair!r}: {value!r} is not an XMLTV channel id (RFC 2838: a "
                             "lowercase DNS name of at least two labels, e.g. "
                             "ptth-bs.binhson.gov.vn)")
        if code in overrides:
            raise ValueError(f"station {code} is given twice")
        overrides[code] = value
    return overrides
