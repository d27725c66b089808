"""Webhook secrets sealed with AES-GCM: round trip, rotation, binding to the webhook, plaintext fallback."""

import base64

import pytest

from services.signal_bus.secret_box import SecretBox, SecretUnreadable

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def test_a_sealed_secret_names_its_key_hides_the_secret_and_opens_again():
    box = SecretBox.parse(f"k1:{OLD}")
    sealed = box.seal("whsec_abc", "webhooks/w1")
    assert sealed.startswith("aesgcm:k1:")
    assert "whsec_abc" not in sealed
    assert sealed != box.seal("whsec_abc", "webhooks/w1")  # a fresh nonce each time
    assert box.open(sealed, "webhooks/w1") == "whsec_abc"


def test_after_a_rotation_new_secrets_use_the_new_key_and_old_ones_still_open():
    old_box = SecretBox.parse(f"k1:{OLD}")
    sealed_before = old_box.seal("first", "webhooks/w1")
    rotated = SecretBox.parse(f"k1:{OLD},k2:{NEW}", current="k2")
    assert rotated.seal("second", "webhooks/w1").startswith("aesgcm:k2:")
    assert rotated.open(sealed_before, "webhooks/w1") == "first"
    retired = SecretBox.parse(f"k2:{NEW}")
    with pytest.raises(SecretUnreadable, match="'k1'"):
        retired.open(sealed_before, "webhooks/w1")


def test_a_sealed_secret_does_not_open_for_another_webhook_or_when_altered():
    box = SecretBox.parse(f"k1:{OLD}")
    sealed = box.seal("whsec_abc", "webhooks/w1")
    with pytest.raises(SecretUnreadable):
        box.open(sealed, "webhooks/w2")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SecretUnreadable):
        box.open(flipped, "webhooks/w1")


def test_without_keys_secrets_stay_as_they_are_and_plaintext_rows_read_back():
    plain = SecretBox.parse("")
    assert not plain.encrypts
    assert plain.seal("whsec_abc", "webhooks/w1") == "whsec_abc"
    assert SecretBox.parse(f"k1:{OLD}").open("whsec_legacy", "webhooks/w1") == "whsec_legacy"


@pytest.mark.parametrize(
    ("spec", "current", "problem"),
    [
        ("k1", "", "pairs"),
        ("k:1:abc", "", "base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "", "32 bytes"),
        (f"k1:{OLD}", "k9", "not among"),
    ],
)
def test_bad_key_settings_are_refused_at_start(spec, current, problem):
    with pytest.raises(ValueError, match=problem):
        SecretBox.parse(spec, current)
