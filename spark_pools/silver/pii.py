"""Pseudonymise PII with a keyed hash (HMAC-SHA256) computed in Spark SQL: no Python per row.

HMAC(k, m) = H((k' ^ opad) || H((k' ^ ipad) || m)), with k' the key padded to the 64-byte block. The key's
pads are computed once on the driver; each row only runs Spark's built-in sha2. The same value always maps to
the same token, so joins on the hashed value still work, and without the key the token cannot be reversed
or recomputed.
"""

from __future__ import annotations

import hashlib

from pyspark.sql import Column
from pyspark.sql import functions as F

BLOCK = 64


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_sha256(column: Column, key: str) -> Column:
    """Hex HMAC-SHA256 of a string column (NULL stays NULL); normalised: trimmed and lower-cased first."""
    inner, outer = _pads(key.encode())
    message = F.lower(F.trim(column)).cast("binary")
    inner_hash = F.unhex(F.sha2(F.concat(F.lit(inner), message), 256))
    return F.when(column.isNotNull(), F.sha2(F.concat(F.lit(outer), inner_hash), 256))
