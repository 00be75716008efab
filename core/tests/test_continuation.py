"""Continuation tokens (core.api.continuation) are Django's signed tokens: each side reads the other's, a token signed
with a retired key listed in SECRET_KEY_FALLBACKS is still read, and anything altered is refused."""

import pytest
from django.core import signing
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from core.api import continuation

payloads = st.fixed_dictionaries({
    "s": st.text(max_size=40),
    "v": st.lists(st.one_of(st.text(max_size=300), st.integers(), st.none(), st.booleans()), max_size=4),
})


@settings(max_examples=200, deadline=None)
@given(payloads)
def test_django_reads_our_tokens_and_we_read_djangos(payload):
    ours = continuation.dumps(payload)
    assert signing.loads(ours, salt=continuation.SALT) == payload
    assert continuation.loads(ours) == payload
    assert continuation.loads(signing.dumps(payload, salt=continuation.SALT, compress=True)) == payload
    assert continuation.loads(signing.dumps(payload, salt=continuation.SALT)) == payload


def test_a_long_payload_is_compressed_as_django_compresses_it():
    payload = {"s": "customers", "v": ["Contoso " * 40, 12]}
    token = continuation.dumps(payload)
    assert token.startswith(".")  # Django's mark of a compressed token
    assert token.split(":")[0] == signing.dumps(payload, salt=continuation.SALT, compress=True).split(":")[0]
    assert continuation.loads(token) == payload


def test_a_token_of_a_retired_key_is_read_while_the_key_is_a_fallback():
    payload = {"s": "customers", "v": ["Fabrikam", 7]}
    with override_settings(SECRET_KEY="the-old-key-" * 5):
        old = continuation.dumps(payload)
    with override_settings(SECRET_KEY="the-new-key-" * 5, SECRET_KEY_FALLBACKS=["the-old-key-" * 5]):
        assert continuation.loads(old) == payload
    with override_settings(SECRET_KEY="the-new-key-" * 5, SECRET_KEY_FALLBACKS=[]), \
            pytest.raises(signing.BadSignature):
        continuation.loads(old)


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
    lambda t: "e" + t[1:] if t[0] != "e" else "f" + t[1:],  # the payload
    lambda t: t.replace(":", ";"),  # no separator
    lambda t: "",
    lambda t: t + "é",
])
def test_an_altered_token_is_refused(tamper):
    token = continuation.dumps({"s": "customers", "v": ["Northwind", 3]})
    with pytest.raises(signing.BadSignature):
        continuation.loads(tamper(token))


def test_another_salt_does_not_pass():
    token = signing.dumps({"s": "customers", "v": ["Litware", 1]}, salt="billing.pricing.diff")
    with pytest.raises(signing.BadSignature):
        continuation.loads(token)


def test_long_integers_non_ascii_text_and_nan_round_trip():
    payload = {"s": "big", "v": [2**70 + 1, "Zoë ☃", -(2**63) - 7, 1.5]}
    token = continuation.dumps(payload)
    assert continuation.loads(token) == payload == signing.loads(token, salt=continuation.SALT)
    assert continuation.loads(signing.dumps(payload, salt=continuation.SALT, compress=True)) == payload


def test_nan_is_read_back_as_nan():
    import math

    token = continuation.dumps({"s": "f", "v": [float("nan")]})
    assert math.isnan(continuation.loads(token)["v"][0]) and math.isnan(signing.loads(token, salt=continuation.SALT)["v"][0])
