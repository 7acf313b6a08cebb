"""Read an ASCII-armored OpenPGP public key (RFC 4880) far enough to know which keys it holds.

Argo CD verifies commit signatures against the public keys it is given (``argocd-gpg-keys-cm``,
keyed by key ID) and an AppProject names the key IDs it accepts (``signatureKeys``). Both come
from the armored key files committed in this repository, so the key IDs are derived here from the
key material itself (v4 fingerprint: SHA-1 over ``0x99``, the two-byte length and the public-key
packet's body; key ID: its last 8 bytes) and a configured ID that the file does not hold is a
configuration error instead of a sync that fails in production. Only public material is accepted:
a file holding a secret key (armor header or packet) is refused.

Pure Python, no gpg binary: configuration validation runs everywhere the tests do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"
#: Packet tags (RFC 4880 §4.3).
PUBLIC_KEY, PUBLIC_SUBKEY, SECRET_KEY, SECRET_SUBKEY = 6, 14, 5, 7
_CRC24_INIT, _CRC24_POLY = 0xB704CE, 0x1864CFB


class OpenPgpError(ValueError):
    """The text is not a usable armored OpenPGP public key."""


@dataclass(frozen=True)
class PublicKey:
    """One armored public key: the primary key's ID and fingerprint and its subkeys' IDs."""

    key_id: str
    fingerprint: str
    subkey_ids: tuple[str, ...]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return (self.key_id, *self.subkey_ids)


def _crc24(data: bytes) -> int:
    crc = _CRC24_INIT
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
    return crc & 0xFFFFFF


def dearmor(text: str) -> bytes:
    """The binary packets of an armored public key block, its CRC-24 checked when present."""
    if "PRIVATE KEY BLOCK" in text:
        raise OpenPgpError("holds a PRIVATE key block: commit only the public key (gpg --armor --export)")
    lines = [line.strip() for line in text.strip().splitlines()]
    try:
        start, end = lines.index(ARMOR_BEGIN), lines.index(ARMOR_END)
    except ValueError:
        raise OpenPgpError(f"is not an armored public key ({ARMOR_BEGIN} … {ARMOR_END})") from None
    body = lines[start + 1 : end]
    if "" in body:  # armor headers (Version:, Comment:) end at the first blank line
        body = body[body.index("") + 1 :]
    checksum = next((line for line in body if line.startswith("=")), None)
    data_lines = [line for line in body if line and not line.startswith("=")]
    try:
        data = base64.b64decode("".join(data_lines), validate=True)
        expected = base64.b64decode(checksum[1:], validate=True) if checksum else None
    except binascii.Error:
        raise OpenPgpError("the armored key is not valid base64") from None
    if expected is not None and int.from_bytes(expected, "big") != _crc24(data):
        raise OpenPgpError("the armor checksum does not match: the key was altered or cut")
    return data


def _packets(data: bytes):
    """(tag, body) of each packet; old- and new-format headers (RFC 4880 §4.2)."""
    i = 0
    while i < len(data):
        header = data[i]
        if not header & 0x80:
            raise OpenPgpError(f"byte {i} is not an OpenPGP packet header")
        if header & 0x40:  # new format
            tag, i = header & 0x3F, i + 1
            first = data[i]
            if first < 192:
                length, i = first, i + 1
            elif first < 224:
                length, i = ((first - 192) << 8) + data[i + 1] + 192, i + 2
            elif first == 255:
                length, i = int.from_bytes(data[i + 1 : i + 5], "big"), i + 5
            else:
                raise OpenPgpError("partial body lengths do not occur in a public key")
        else:  # old format
            tag, kind, i = (header >> 2) & 0x0F, header & 0x03, i + 1
            if kind == 3:
                raise OpenPgpError("indeterminate packet lengths do not occur in a public key")
            size = (1, 2, 4)[kind]
            length, i = int.from_bytes(data[i : i + size], "big"), i + size
        if i + length > len(data):
            raise OpenPgpError("a packet runs past the end of the key (truncated)")
        yield tag, data[i : i + length]
        i += length


def _fingerprint(body: bytes) -> str:
    if not body or body[0] != 4:
        raise OpenPgpError(f"key packet version {body[0] if body else '?'}: only v4 keys (gpg's default) are read")
    return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body, usedforsecurity=False).hexdigest().upper()


def read_public_key(text: str) -> PublicKey:
    """The one primary key of ``text`` (with its subkeys); OpenPgpError when it is anything else."""
    primaries: list[str] = []
    subkeys: list[str] = []
    for tag, body in _packets(dearmor(text)):
        if tag in (SECRET_KEY, SECRET_SUBKEY):
            raise OpenPgpError("holds secret key material: commit only the public key (gpg --armor --export)")
        if tag == PUBLIC_KEY:
            primaries.append(_fingerprint(body))
        elif tag == PUBLIC_SUBKEY:
            subkeys.append(_fingerprint(body)[-16:])
    if len(primaries) != 1:
        raise OpenPgpError(f"holds {len(primaries)} primary keys: one key per file (file name = its key ID)")
    return PublicKey(key_id=primaries[0][-16:], fingerprint=primaries[0], subkey_ids=tuple(subkeys))
