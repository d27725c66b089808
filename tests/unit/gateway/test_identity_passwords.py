"""The password policy and Argon2id hashing (services.core.identity.passwords)."""

import pytest

from services.core.identity.passwords import HashingCost, PasswordHasher, password_violations

CHEAP = HashingCost(time_cost=1, memory_kib=8192, parallelism=1)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("x" * 257, "at most 256 characters"),
        ("abababababababab", "different characters"),
        ("mallory-rocks-2024", "must not contain the e-mail address"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    violations = password_violations("password", password, "Mallory@example.com")

    assert [violation.field for violation in violations] == ["password"]
    assert reason in violations[0].description


def test_a_long_passphrase_is_enough_without_character_classes():
    assert password_violations("password", "correct horse battery staple", "a@b.io") == []


def test_hashes_are_argon2id_salted_and_verify_only_the_right_password():
    hasher = PasswordHasher(CHEAP)

    first, second = hasher.hash("correct horse battery"), hasher.hash("correct horse battery")

    assert first.startswith("$argon2id$")
    assert first != second
    assert hasher.verify(first, "correct horse battery")
    assert not hasher.verify(first, "correct horse battery!")
    assert not hasher.verify("not a hash at all", "correct horse battery")


def test_an_absent_account_costs_a_verification_and_always_fails():
    assert PasswordHasher(CHEAP).verify_absent("anything at all") is False


def test_hashes_made_with_weaker_parameters_ask_to_be_rehashed():
    weak = PasswordHasher(CHEAP).hash("correct horse battery")
    stronger = PasswordHasher(HashingCost(time_cost=2, memory_kib=16384, parallelism=1))

    assert stronger.needs_rehash(weak)
    assert not stronger.needs_rehash(stronger.hash("correct horse battery"))
    assert stronger.verify(weak, "correct horse battery")
