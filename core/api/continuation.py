"""Continuation tokens in Django's signed format (`django.core.signing.dumps(payload, salt=SALT, compress=True)`:
base64 JSON, a timestamp, an HMAC-SHA256 signature), written and checked without Django's per-call set-up.

Django derives the HMAC key from the salt and SECRET_KEY (a SHA-256) and builds a signer on every call; a list
answers a token per page, and its deep pages read one too. Here the key is derived once per secret, and the payload is
compressed only when it is long enough for zlib to possibly win (a page's sort keys rarely are): the token stays one
that `signing.loads(token, salt=SALT)` reads, and `loads` reads every token `signing.dumps` writes. A token whose
signature does not match the current key is handed to `signing.loads`, which tries SECRET_KEY_FALLBACKS and raises
`signing.BadSignature` as before (core/tests/test_continuation.py).
"""

import hashlib
import hmac
import json
import time
import zlib

from django.conf import settings
from django.core import signing

SALT = "core.continuation"
# Below this many bytes of JSON, zlib's header and checksum (6 bytes) and a block's overhead leave nothing to win on
# text like sort keys; Django tries it anyway and keeps the plain form.
_COMPRESS_FROM = 160
_keys = {}
_JSON = json.JSONEncoder(separators=(",", ":"))  # json.dumps(..., separators=...) would make one per call


def _hmac(secret):
    """An HMAC-SHA256 keyed as salted_hmac keys this salt's signer (Signer.signature: salt + "signer"), kept per
    secret and copied per token (copying OpenSSL's state costs less than setting up a new one)."""
    base = _keys.get(secret)
    if base is None:
        if len(_keys) >= 8:  # settings overridden in tests: never grow without bound
            _keys.clear()
        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        base = _keys[secret] = hmac.new(hashlib.sha256((SALT + "signer").encode() + raw).digest(),
                                        digestmod="sha256")
    return base.copy()


def _b64(data: bytes) -> str:
    return signing.b64_encode(data).decode()


def _signature(value: str, secret) -> str:
    mac = _hmac(secret)
    mac.update(value.encode())
    return _b64(mac.digest())


def _json(payload) -> bytes:
    """The payload as signing.JSONSerializer writes it (compact, ASCII, NaN as NaN), with one encoder kept rather
    than one made per call."""
    return _JSON.encode(payload).encode("latin-1")


def dumps(payload) -> str:
    data = _json(payload)
    text = None
    if len(data) >= _COMPRESS_FROM:
        compressed = zlib.compress(data)
        if len(compressed) < len(data) - 1:
            text = "." + _b64(compressed)
    if text is None:
        text = _b64(data)
    value = f"{text}:{signing.b62_encode(int(time.time()))}"
    return f"{value}:{_signature(value, settings.SECRET_KEY)}"


def loads(token: str):
    """The payload of a token this module or `signing.dumps(..., salt=SALT)` wrote; `signing.BadSignature` if it is
    neither (or was signed with a key that is no longer SECRET_KEY nor one of its fallbacks)."""
    value, _sep, signature = token.rpartition(":")
    if not value or not hmac.compare_digest(signature.encode(), _signature(value, settings.SECRET_KEY).encode()):
        return signing.loads(token, salt=SALT)
    text = value.rpartition(":")[0].encode()
    compressed = text[:1] == b"."
    data = signing.b64_decode(text[1:] if compressed else text)
    if compressed:
        data = zlib.decompress(data)
    return json.loads(data.decode("latin-1"))  # as Django reads it (orjson would read a long integer as a float)
