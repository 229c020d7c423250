# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The fingerprints of the primary keys in an OpenPGP public key file (ASCII-armored or binary), computed as
RFC 9580 defines them (v4: SHA-1, v5/v6: SHA-256 over the public key packet), without gpg on the host."""

from __future__ import annotations

import base64
import binascii
import hashlib

PUBLIC_KEY_TAG = 6
# The prefix byte and the width of the length hashed with each key version's packet body.
FINGERPRINT_FORMAT = {4: (b"\x99", 2, hashlib.sha1), 5: (b"\x9a", 4, hashlib.sha256), 6: (b"\x9b", 4, hashlib.sha256)}


class KeyFileError(ValueError):
    """The file is not an OpenPGP public key (the message says why)."""


def dearmor(data):
    """The binary packets of an ASCII-armored key; binary input is returned as it is."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in text:
        if isinstance(data, bytes):
            return data
        raise KeyFileError("not an OpenPGP public key block")
    body = text.split("-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)[1].split("-----END PGP PUBLIC KEY BLOCK-----", 1)[0]
    lines = [line.strip() for line in body.strip().splitlines()]
    if "" in lines:  # armor headers (Version:, Comment:) end at the first blank line
        lines = lines[lines.index("") + 1:]
    payload = "".join(line for line in lines if line and not line.startswith("="))  # "=" starts the CRC line
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise KeyFileError("the armored key is not valid base64 (%s)" % error)


def packets(data):
    """(tag, body) of each packet."""
    position = 0
    while position < len(data):
        header = data[position]
        if not header & 0x80:
            raise KeyFileError("byte %d is not an OpenPGP packet header" % position)
        if header & 0x40:  # new format: tag in 6 bits, then a 1, 2 or 5 byte length
            tag, first = header & 0x3F, data[position + 1]
            if first < 192:
                length, start = first, position + 2
            elif first < 224:
                length, start = ((first - 192) << 8) + data[position + 2] + 192, position + 3
            elif first == 255:
                length, start = int.from_bytes(data[position + 2:position + 6], "big"), position + 6
            else:
                raise KeyFileError("partial-length packets are not used in key files")
        else:  # old format: tag in 4 bits, the length's width in the last 2
            tag, width = (header >> 2) & 0x0F, {0: 1, 1: 2, 2: 4}.get(header & 0x03)
            if width is None:
                raise KeyFileError("indeterminate-length packets are not used in key files")
            length, start = int.from_bytes(data[position + 1:position + 1 + width], "big"), position + 1 + width
        if start + length > len(data):
            raise KeyFileError("the file ends inside a packet")
        yield tag, data[start:start + length]
        position = start + length


def primary_fingerprints(data):
    """The uppercase hex fingerprints of the primary (not sub-) keys in a key file, in file order."""
    fingerprints = []
    for tag, body in packets(dearmor(data)):
        if tag != PUBLIC_KEY_TAG or not body:
            continue
        if body[0] not in FINGERPRINT_FORMAT:
            raise KeyFileError("key version %d is not known" % body[0])
        prefix, width, digest = FINGERPRINT_FORMAT[body[0]]
        fingerprints.append(digest(prefix + len(body).to_bytes(width, "big") + body).hexdigest().upper())
    return fingerprints


def normalize_fingerprint(text):
    """A fingerprint as gpg prints it (spaces, any case, an optional 0x) in the form primary_fingerprints returns;
    None when it is not 40 or 64 hex digits."""
    compact = "".join(str(text).split()).upper()
    compact = compact[2:] if compact.startswith("0X") else compact
    if len(compact) in (40, 64) and all(c in "0123456789ABCDEF" for c in compact):
        return compact
    return None
