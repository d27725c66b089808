"""ES256 keys, their JWK form and the tokens they sign (services.core.identity.signing_keys)."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.core.identity.claims import AccessClaims, AuthenticationMethod
from services.core.identity.signing_keys import (
    SigningKey,
    generate_private_key,
    jwks_document,
    private_key_from_pem,
    private_key_to_pem,
    thumbprint,
)
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def claims(**overrides) -> AccessClaims:
    values = {
        "user_id": "u1",
        "organization_id": "acme",
        "role": Role.TRADER,
        "tier": PlanTier.PRO,
        "method": AuthenticationMethod.PASSWORD,
        "token_id": "t1",
        "issued_at": NOW,
        "lifetime": timedelta(minutes=15),
    }
    return AccessClaims(**{**values, **overrides})


def test_a_signed_token_verifies_against_the_published_jwk():
    key = SigningKey(private_key=generate_private_key(), create_time=NOW)

    token = key.sign(claims(), "https://issuer.test", "mesh")

    [jwk] = jwks_document([key])["keys"]
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    payload = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        audience="mesh",
        issuer="https://issuer.test",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert payload == {
        "iss": "https://issuer.test",
        "aud": "mesh",
        "sub": "u1",
        "iat": int(NOW.timestamp()),
        "nbf": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "jti": "t1",
        "org": "acme",
        "role": "trader",
        "tier": "pro",
        "auth_method": "password",
    }


def test_an_api_key_token_names_its_key():
    key = SigningKey(private_key=generate_private_key(), create_time=NOW)
    token = key.sign(claims(method=AuthenticationMethod.API_KEY, api_key_id="k9"), "i", "a")

    payload = jwt.decode(token, options={"verify_signature": False})
    assert (payload["auth_method"], payload["api_key_id"]) == ("api_key", "k9")


def test_the_jwk_is_rfc7517_with_full_length_coordinates_and_a_thumbprint_kid():
    key = SigningKey(private_key=generate_private_key(), create_time=NOW)

    jwk = key.public_jwk()

    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    assert len(jwk["x"]) == len(jwk["y"]) == 43  # 32 bytes, base64url without padding
    assert jwk["kid"] == thumbprint({name: jwk[name] for name in ("crv", "kty", "x", "y")})
    assert SigningKey(private_key=key.private_key, create_time=NOW + timedelta(days=1)).kid == key.kid


def test_the_thumbprint_follows_rfc7638s_canonical_form():
    # RFC 7638 section 3.1 hashes the members sorted by name, without whitespace
    assert thumbprint({"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}) == thumbprint(
        {"y": "b", "x": "a", "crv": "P-256", "kty": "EC"}
    )


@pytest.mark.parametrize("passphrase", [None, b"a passphrase"])
def test_private_keys_round_trip_through_pem(passphrase):
    private_key = generate_private_key()

    pem = private_key_to_pem(private_key, passphrase)

    assert (b"ENCRYPTED" in pem) is (passphrase is not None)
    loaded = private_key_from_pem(pem, passphrase)
    assert loaded.private_numbers() == private_key.private_numbers()


def test_a_wrong_or_missing_passphrase_is_an_error_not_a_garbage_key():
    pem = private_key_to_pem(generate_private_key(), b"right")

    with pytest.raises(ValueError, match=r"(?i)decrypt"):
        private_key_from_pem(pem, b"wrong")
    with pytest.raises(ValueError, match="encryption"):
        private_key_from_pem(pem, None)
    with pytest.raises(ValueError, match="encryption"):
        private_key_from_pem(private_key_to_pem(generate_private_key(), None), b"unexpected")
