"""Writing text in the legacy Vietnamese encodings, for tests: the inverse of decoding."""

from __future__ import annotations

from typing import Literal

from broadcaster.errors import InputError
from broadcaster.text import to_nfc
from broadcaster.text.legacy_tables import encode_tcvn3_char, encode_vni_char


def encode_legacy(text: str, encoding: Literal["tcvn3", "vni"]) -> bytes:
    """Write ``text`` in TCVN3 or VNI bytes (the inverse of decoding).

    Toned capitals TCVN3 has no code for are written with their lowercase code, as the ABC
    capital fonts do. Raises InputError naming the first character the encoding cannot write.
    """
    if encoding not in ("tcvn3", "vni"):
        raise ValueError(f"unknown legacy encoding {encoding!r}; choose 'tcvn3' or 'vni'")
    label = "TCVN3" if encoding == "tcvn3" else "VNI"
    out = bytearray()
    for position, char in enumerate(to_nfc(text), start=1):
        if encoding == "tcvn3":
            code = encode_tcvn3_char(char)
            encoded = None if code is None else bytes([code])
        else:
            encoded = encode_vni_char(char)
        if encoded is None:
            raise InputError(
                f"The character {char!r} (U+{ord(char):04X}, character {position}) "
                f"cannot be written in {label}."
            )
        out += encoded
    return bytes(out)
