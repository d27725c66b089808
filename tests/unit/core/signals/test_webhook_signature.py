"""Webhook signatures: verified with the secret; tampering, other secrets and old timestamps fail."""

from services.core.signals.webhook_signature import signature_header, verify

BODY = b'{"signalId":"s-1"}'
NOW = 1_750_000_000


def test_a_receiver_verifies_a_signature_made_with_its_secret():
    assert verify(signature_header(["secret-1"], NOW, BODY), "secret-1", BODY, NOW + 10)


def test_a_tampered_body_or_another_secret_fails():
    header = signature_header(["secret-1"], NOW, BODY)
    assert not verify(header, "secret-1", BODY + b" ", NOW)
    assert not verify(header, "secret-2", BODY, NOW)


def test_an_old_delivery_replayed_later_fails():
    header = signature_header(["secret-1"], NOW, BODY)
    assert not verify(header, "secret-1", BODY, NOW + 301)


def test_during_a_rotation_both_secrets_verify():
    header = signature_header(["new", "old"], NOW, BODY)
    assert verify(header, "new", BODY, NOW)
    assert verify(header, "old", BODY, NOW)


def test_a_malformed_header_fails():
    for header in ["", "v1=abc", "t=x,v1=abc", "garbage"]:
        assert not verify(header, "secret-1", BODY, NOW)
