"""What a password must be, and how it is stored: Argon2id, never in clear, never reversible.

Length is what makes a password strong, so the policy asks for length (NIST SP 800-63B)
rather than character classes, and refuses the few choices an attacker tries first.
Verification takes the same time whether or not the account exists (`verify_absent`),
so a login failure does not tell which e-mail addresses have accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.core.errors import FieldViolation

MIN_LENGTH = 12
# Argon2 hashes any length, but a megabyte "password" is a denial-of-service attempt
MAX_LENGTH = 256
MIN_DISTINCT_CHARACTERS = 5


def password_violations(field: str, password: str, email: str = "") -> list[FieldViolation]:
    """Every reason `password` may not be used (empty when it may)."""
    if len(password) < MIN_LENGTH:
        return [FieldViolation(field, f"at least {MIN_LENGTH} characters")]
    if len(password) > MAX_LENGTH:
        return [FieldViolation(field, f"at most {MAX_LENGTH} characters")]
    violations = []
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        violations.append(FieldViolation(field, f"at least {MIN_DISTINCT_CHARACTERS} different characters"))
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in password.lower():
        violations.append(FieldViolation(field, "must not contain the e-mail address"))
    return violations


@dataclass(frozen=True, slots=True)
class HashingCost:
    """Argon2id parameters; the defaults are RFC 9106's second recommendation (64 MiB, 3 passes)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


class PasswordHasher:
    def __init__(self, cost: HashingCost = HashingCost()) -> None:
        self._hasher = Argon2Hasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            type=Type.ID,
        )
        # a real hash of a random password, verified against when the account does not exist
        self._absent = self._hasher.hash("no account has this password, it only costs time")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_absent(self, password: str) -> bool:
        """Spend the time a real verification takes, and fail."""
        self.verify(self._absent, password)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's (rehash on next login)."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
