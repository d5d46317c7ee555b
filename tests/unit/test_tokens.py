"""Bearer-token verification: one configured algorithm, required claims, roles, key files."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm

from toss_graphql import auth
from toss_graphql.auth import (
    LEEWAY_SECONDS,
    InvalidToken,
    TokenVerifier,
    issue_token,
    principal_from_header,
)
from toss_graphql.config import Settings
from toss_graphql.domain.models import Principal, Role

SECRET = "unit-test-jwt-secret-that-is-40-bytes-long"
ISSUER = "https://id.example.test/"
AUDIENCE = "toss-graphql"


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    # Every auth setting is given, so AUTH_JWT_* variables in the environment cannot leak in.
    values: dict[str, Any] = {
        "app_env": "development",
        "toss_graphql_var_dir": tmp_path,
        "auth_jwt_algorithm": "HS256",
        "auth_jwt_secret": SECRET,
        "auth_jwt_public_key_file": None,
        "auth_jwt_jwks_file": None,
        "auth_jwt_issuer": None,
        "auth_jwt_audience": None,
    }
    return Settings(**(values | overrides))


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "alice", "iat": now, "exp": now + 300} | overrides


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """The signing input of a token built by hand, as an attacker would."""
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def es256_jwk(key: ec.EllipticCurvePrivateKey, **fields: str) -> dict[str, Any]:
    return ECAlgorithm.to_jwk(key.public_key(), as_dict=True) | fields


def write_jwks(tmp_path: Path, *keys: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": list(keys)}))
    return path


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def verifier(tmp_path: Path) -> TokenVerifier:
    return TokenVerifier.from_settings(settings_for(tmp_path))


@pytest.fixture
def rs256_verifier(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> TokenVerifier:
    pem_file = tmp_path / "idp.pem"
    pem_file.write_bytes(public_pem(rsa_key))
    return TokenVerifier.from_settings(
        settings_for(tmp_path, auth_jwt_algorithm="RS256", auth_jwt_public_key_file=pem_file)
    )


# Verified tokens remembered


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return decoded


def test_a_token_is_verified_once_then_remembered_until_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    verifier = dataclasses.replace(TokenVerifier.from_settings(settings_for(tmp_path)), clock=clock)
    decoded = _counting_decodes(monkeypatch)
    token = hs256(claims(exp=int(clock.now) + 60))

    assert [verifier.verify(token) for _ in range(3)] == [Principal("alice")] * 3
    assert decoded == [token]

    # Past its expiry the token is checked by PyJWT again, which decides by its own clock.
    clock.now += 60 + LEEWAY_SECONDS
    verifier.verify(token)
    assert decoded == [token, token]


def test_a_refused_token_is_never_remembered(
    verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = _counting_decodes(monkeypatch)
    forged = hs256(claims(), secret="another-secret-of-at-least-thirty-two-bytes")
    for _ in range(2):
        with pytest.raises(InvalidToken, match="signature"):
            verifier.verify(forged)
    assert len(decoded) == 2


def test_remembered_tokens_are_bounded(
    verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "VERIFIED_TOKENS_KEPT", 3)
    tokens = [hs256(claims(sub=f"buyer-{number}")) for number in range(5)]
    for token in tokens:
        verifier.verify(token)
    decoded = _counting_decodes(monkeypatch)
    assert verifier.verify(tokens[0]) == Principal("buyer-0")
    assert verifier.verify(tokens[4]) == Principal("buyer-4")
    assert decoded == [tokens[0]]


# HS256 and the registered claims


def test_hs256_token_from_issue_token_verifies_to_its_principal(verifier: TokenVerifier) -> None:
    token = issue_token(SECRET, "alice", Role.SERVICE)
    assert verifier.verify(token) == Principal("alice", Role.SERVICE)


def test_expired_token_is_refused(verifier: TokenVerifier) -> None:
    token = hs256(claims(exp=int(time.time()) - LEEWAY_SECONDS - 10))
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)


def test_token_without_exp_is_refused(verifier: TokenVerifier) -> None:
    payload = claims()
    del payload["exp"]
    with pytest.raises(InvalidToken, match="'exp'"):
        verifier.verify(hs256(payload))


def test_token_whose_nbf_is_beyond_the_leeway_is_refused(verifier: TokenVerifier) -> None:
    token = hs256(claims(nbf=int(time.time()) + LEEWAY_SECONDS + 60))
    with pytest.raises(InvalidToken, match="not valid yet"):
        verifier.verify(token)


def test_token_whose_nbf_is_within_the_leeway_is_accepted(verifier: TokenVerifier) -> None:
    token = hs256(claims(nbf=int(time.time()) + LEEWAY_SECONDS // 3))
    assert verifier.verify(token).subject == "alice"


def test_token_issued_in_the_future_beyond_the_leeway_is_refused(
    verifier: TokenVerifier,
) -> None:
    token = hs256(claims(iat=int(time.time()) + LEEWAY_SECONDS + 60))
    with pytest.raises(InvalidToken, match="not valid yet"):
        verifier.verify(token)


def test_unsigned_alg_none_token_is_refused(verifier: TokenVerifier) -> None:
    token = compact({"alg": "none", "typ": "JWT"}, claims()) + "."
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        verifier.verify(token)


def test_token_signed_with_another_secret_is_refused(verifier: TokenVerifier) -> None:
    token = hs256(claims(), secret="another-secret-that-is-also-long-enough")
    with pytest.raises(InvalidToken, match="signature does not verify"):
        verifier.verify(token)


def test_refusal_reason_never_quotes_the_token(verifier: TokenVerifier) -> None:
    # PyJWT's own message for this header repeats the extension name the token chose.
    header = {"alg": "HS256", "typ": "JWT", "crit": ["<script>alert(1)</script>"]}
    token = f"{compact(header, claims())}.{b64url(b'signature')}"
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(token)
    assert str(refused.value) == "token is invalid"


def test_subject_longer_than_128_characters_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="sub"):
        verifier.verify(hs256(claims(sub="a" * 129)))


# Roles


def test_token_without_a_role_is_a_buyer(verifier: TokenVerifier) -> None:
    assert verifier.verify(hs256(claims())).role is Role.BUYER


def test_role_comes_from_the_role_claim(verifier: TokenVerifier) -> None:
    assert verifier.verify(hs256(claims(role="admin"))).role is Role.ADMIN


def test_strongest_role_in_a_roles_list_wins(verifier: TokenVerifier) -> None:
    token = hs256(claims(roles=["buyer", "admin", "service"]))
    assert verifier.verify(token).role is Role.ADMIN


@pytest.mark.parametrize("role_claims", [{"role": "root"}, {"role": ["admin"]}])
def test_unknown_role_is_refused(verifier: TokenVerifier, role_claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken, match="unknown role"):
        verifier.verify(hs256(claims(**role_claims)))


# Issuer and audience


def test_token_from_the_configured_issuer_for_the_configured_audience_is_accepted(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, auth_jwt_issuer=ISSUER, auth_jwt_audience=AUDIENCE)
    token = hs256(claims(iss=ISSUER, aud=[AUDIENCE, "another-api"]))
    assert TokenVerifier.from_settings(settings).verify(token).subject == "alice"


@pytest.mark.parametrize("issuer_claims", [{"iss": "https://evil.example.test/"}, {}])
def test_issuer_is_enforced_when_configured(tmp_path: Path, issuer_claims: dict[str, Any]) -> None:
    verifier = TokenVerifier.from_settings(settings_for(tmp_path, auth_jwt_issuer=ISSUER))
    with pytest.raises(InvalidToken, match="iss"):
        verifier.verify(hs256(claims(**issuer_claims)))


@pytest.mark.parametrize("audience_claims", [{"aud": "another-api"}, {}])
def test_audience_is_enforced_when_configured(
    tmp_path: Path, audience_claims: dict[str, Any]
) -> None:
    verifier = TokenVerifier.from_settings(settings_for(tmp_path, auth_jwt_audience=AUDIENCE))
    with pytest.raises(InvalidToken, match="aud"):
        verifier.verify(hs256(claims(**audience_claims)))


def test_token_with_an_audience_is_refused_when_none_is_configured(
    verifier: TokenVerifier,
) -> None:
    with pytest.raises(InvalidToken, match="audience is not accepted"):
        verifier.verify(hs256(claims(aud=AUDIENCE)))


# RS256 and ES256 with an identity provider's keys


def test_rs256_token_verifies_with_the_pem_public_key(
    rs256_verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(role="service"), rsa_key, algorithm="RS256")
    assert rs256_verifier.verify(token) == Principal("alice", Role.SERVICE)


def test_rs256_public_key_used_as_an_hs256_secret_is_refused(
    rs256_verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    # The classic confusion: the public key is public, so anyone can HMAC with it.
    signing_input = compact({"alg": "HS256", "typ": "JWT"}, claims(role="admin"))
    signature = hmac.new(public_pem(rsa_key), signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        rs256_verifier.verify(f"{signing_input}.{b64url(signature)}")


def test_es256_token_verifies_with_the_jwks_key_its_kid_names(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    jwks = write_jwks(tmp_path, es256_jwk(other, kid="old"), es256_jwk(ec_key, kid="current"))
    verifier = TokenVerifier.from_settings(
        settings_for(tmp_path, auth_jwt_algorithm="ES256", auth_jwt_jwks_file=jwks)
    )
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "current"})
    assert verifier.verify(token).subject == "alice"


def test_es256_token_naming_an_unknown_kid_is_refused(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    jwks = write_jwks(tmp_path, es256_jwk(ec_key, kid="current"))
    verifier = TokenVerifier.from_settings(
        settings_for(tmp_path, auth_jwt_algorithm="ES256", auth_jwt_jwks_file=jwks)
    )
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "retired"})
    with pytest.raises(InvalidToken, match="unknown signing key"):
        verifier.verify(token)


def test_token_without_kid_uses_the_only_key_of_a_jwks(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    jwks = write_jwks(tmp_path, es256_jwk(ec_key, kid="current"))
    verifier = TokenVerifier.from_settings(
        settings_for(tmp_path, auth_jwt_algorithm="ES256", auth_jwt_jwks_file=jwks)
    )
    token = jwt.encode(claims(), ec_key, algorithm="ES256")
    assert verifier.verify(token).subject == "alice"


@pytest.mark.parametrize("not_for_es256", [{"alg": "ES384"}, {"use": "enc"}])
def test_jwks_key_not_meant_for_es256_signatures_is_ignored(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey, not_for_es256: dict[str, str]
) -> None:
    stray = ec.generate_private_key(ec.SECP256R1())
    jwks = write_jwks(
        tmp_path,
        es256_jwk(ec_key, kid="current", alg="ES256", use="sig"),
        es256_jwk(stray, kid="stray", **not_for_es256),
    )
    verifier = TokenVerifier.from_settings(
        settings_for(tmp_path, auth_jwt_algorithm="ES256", auth_jwt_jwks_file=jwks)
    )
    token = jwt.encode(claims(), stray, algorithm="ES256", headers={"kid": "stray"})
    with pytest.raises(InvalidToken, match="unknown signing key"):
        verifier.verify(token)


# Startup: a configuration that cannot verify soundly stops the process


def test_rs256_without_a_key_file_is_a_startup_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        TokenVerifier.from_settings(settings_for(tmp_path, auth_jwt_algorithm="RS256"))


def test_rs256_with_both_a_pem_and_a_jwks_file_is_a_startup_error(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem_file = tmp_path / "idp.pem"
    pem_file.write_bytes(public_pem(rsa_key))
    settings = settings_for(
        tmp_path,
        auth_jwt_algorithm="RS256",
        auth_jwt_public_key_file=pem_file,
        auth_jwt_jwks_file=write_jwks(tmp_path),
    )
    with pytest.raises(ValueError, match="exactly one of"):
        TokenVerifier.from_settings(settings)


def test_unreadable_key_file_is_a_startup_error(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, auth_jwt_algorithm="RS256", auth_jwt_public_key_file=tmp_path / "missing.pem"
    )
    with pytest.raises(ValueError, match="cannot be read"):
        TokenVerifier.from_settings(settings)


def test_pem_key_of_the_wrong_kind_is_a_startup_error(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    pem_file = tmp_path / "idp.pem"
    pem_file.write_bytes(public_pem(ec_key))
    settings = settings_for(tmp_path, auth_jwt_algorithm="RS256", auth_jwt_public_key_file=pem_file)
    with pytest.raises(ValueError, match="not an RSA public key"):
        TokenVerifier.from_settings(settings)


def test_jwks_without_a_usable_key_is_a_startup_error(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    jwks = write_jwks(tmp_path, es256_jwk(ec_key, kid="enc", use="enc"))
    settings = settings_for(tmp_path, auth_jwt_algorithm="ES256", auth_jwt_jwks_file=jwks)
    with pytest.raises(ValueError, match="no ES256 signing key"):
        TokenVerifier.from_settings(settings)


def test_short_hs256_secret_is_a_startup_error_in_production(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, app_env="production", auth_jwt_secret="x" * 31)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenVerifier.from_settings(settings)


def test_verifier_repr_does_not_show_the_secret(verifier: TokenVerifier) -> None:
    assert SECRET not in repr(verifier)


# The Authorization header


def test_request_without_authorization_header_has_no_principal(
    verifier: TokenVerifier,
) -> None:
    assert principal_from_header(verifier, None) is None


def test_authorization_header_with_another_scheme_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="Bearer"):
        principal_from_header(verifier, f"Basic {hs256(claims())}")


def test_identity_provider_roles_it_does_not_know_are_ignored(verifier: TokenVerifier) -> None:
    principal = verifier.verify(hs256(claims(roles=["offline_access", "admin"])))
    assert principal.role is Role.ADMIN
    assert verifier.verify(hs256(claims(roles=["offline_access"]))).role is Role.BUYER
