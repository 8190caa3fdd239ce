"""XMLTV channel ids: RFC 2838 names made from station codes, stable and lowercase."""

from __future__ import annotations

import re

import pytest

from broadcaster.xmltv_ids import (
    channel_id,
    channel_ids,
    is_channel_id,
    is_dns_name,
    parse_overrides,
)

# The check of the XMLTV project's tv_validate_file (XMLTV::ValidateFile, "invalidid").
XMLTV_VALIDATOR = re.compile(r"^[-a-zA-Z0-9]+(\.[-a-zA-Z0-9]+)+$")


@pytest.mark.parametrize(("code", "made"), [
    ("PTTH-BS", "ptth-bs.binhson.example"),
    ("TRUYEN_HINH.BS", "truyen-hinh-bs.binhson.example"),
    ("VOV1-", "vov1.binhson.example"),
    ("a" * 63, "a" * 63 + ".binhson.example"),
])
def test_ids_from_codes(code: str, made: str) -> None:
    assert channel_id(code, "binhson.example") == made
    assert XMLTV_VALIDATOR.match(made) and is_channel_id(made) and made == made.lower()
    # Stable: the same code and settings always give the same id, whatever else is published.
    assert channel_ids([code, "OTHER"], "binhson.example")[code] == made


def test_overrides_win_and_bad_codes_are_named() -> None:
    assert channel_id("PTTH-BS", "binhson.example", {"PTTH-BS": "vov.binhson.gov.vn"}) == \
        "vov.binhson.gov.vn"
    with pytest.raises(ValueError, match=f"station {'A' * 64}: .* 'xmltv_ids'"):
        channel_id("A" * 64, "binhson.example")  # a DNS label holds 63 characters at most


def test_two_channels_with_one_id_are_refused() -> None:
    with pytest.raises(ValueError, match="stations TH-BS and TH_BS would both have the XMLTV "
                                         "channel id 'th-bs.vn'"):
        channel_ids(["TH_BS", "TH-BS"], "vn")
    assert channel_ids(["TH_BS", "TH-BS"], "vn", {"TH_BS": "th2.vn"}) == \
        {"TH-BS": "th-bs.vn", "TH_BS": "th2.vn"}


@pytest.mark.parametrize(("name", "dns", "channel"), [
    ("binhson.gov.vn", True, True),
    ("local", True, False),          # one label: a domain, not a channel id
    ("Binhson.vn", False, False),    # lowercase only
    ("-a.vn", False, False),
    ("a-.vn", False, False),
    ("a..vn", False, False),
    ("a_b.vn", False, False),
    ("a" * 64 + ".vn", False, False),
    (".".join(["a" * 63] * 4), False, False),  # 255 characters: longer than a DNS name
])
def test_dns_names(name: str, dns: bool, channel: bool) -> None:
    assert (is_dns_name(name), is_channel_id(name)) == (dns, channel)


def test_parse_overrides() -> None:
    assert parse_overrides("") == {}
    assert parse_overrides(" PTTH-BS = vov.bs.vn ,TH-BS=th.bs.vn, ") == \
        {"PTTH-BS": "vov.bs.vn", "TH-BS": "th.bs.vn"}
    for bad, words in [("PTTH-BS", "not CODE=id"), ("=a.vn", "not CODE=id"),
                       ("A=vov", "not an XMLTV channel id"), ("A=a.vn,A=b.vn", "twice")]:
        with pytest.raises(ValueError, match=words):
            parse_overrides(bad)
