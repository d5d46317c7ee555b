"""Bearer tokens: who is asking (`sub`) and with which role.

The process accepts exactly one algorithm, taken from configuration and never from the token
(RFC 8725 §2.1): HS256 with a shared secret for development, or RS256/ES256 with an identity
provider's public key, given as a PEM file or as a JWKS file whose key the token's `kid` names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .config import Settings
from .domain.models import Principal, Role

# Tokens this service issues itself (the CLI's development tokens).
DEVELOPMENT_ALGORITHM = "HS256"
# Clock skew tolerated between the token's issuer and this server.
LEEWAY_SECONDS = 30
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_SECRET_BYTES = 32
# NIST SP 800-131A; PyJWT would otherwise only warn, on every request.
MIN_RSA_KEY_BITS = 2048
MAX_SUBJECT_LENGTH = 128
# Verified tokens remembered per process (auth.TokenVerifier._verified).
VERIFIED_TOKENS_KEPT = 4096
# The `role` of a scrape credential (`toss-graphql token NAME --metrics`): it reads /metrics
# and nothing else, so a leaked Prometheus credential cannot create or cancel an order.
METRICS_ROLE = "metrics"

PublicKey = RSAPublicKey | EllipticCurvePublicKey

_KEY_KINDS = {
    "RS256": f"an RSA public key of at least {MIN_RSA_KEY_BITS} bits",
    "ES256": "an EC P-256 public key",
}
# Strongest first: a token naming several roles acts with the strongest one.
_ROLES_BY_RANK = (Role.ADMIN, Role.SERVICE, Role.BUYER)
_ROLE_NAMES = frozenset(role.value for role in Role)
# Fixed reasons, most specific first: PyJWT's own messages may quote parts of the token.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token has expired"),
    (jwt.ImmatureSignatureError, "token is not valid yet"),
    (jwt.InvalidAlgorithmError, "token algorithm is not accepted"),
    (jwt.InvalidSignatureError, "token signature does not verify"),
    (jwt.InvalidAudienceError, "token audience is not accepted"),
    (jwt.InvalidIssuerError, "token issuer is not accepted"),
    (jwt.DecodeError, "token is malformed"),
)


class InvalidToken(Exception):
    """The token is missing, malformed, expired or not signed by a key we trust.

    The message is a short fixed reason that is safe to show the caller: it never quotes the token.
    """


class MetricsOnlyToken(InvalidToken):
    """A valid token of the metrics role: accepted by /metrics, refused everywhere else."""

    def __init__(self) -> None:
        super().__init__("a metrics token is accepted by /metrics only")


class _SigningKey(NamedTuple):
    kid: str | None
    key: str | PublicKey


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """Checks bearer tokens against the configured algorithm and keys; built once per process."""

    algorithm: str
    # Out of the repr: for HS256 it holds the shared secret.
    keys: tuple[_SigningKey, ...] = field(repr=False)
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        """Raises ValueError for a configuration under which no token could be verified soundly."""
        algorithm = settings.auth_jwt_algorithm
        pem_file, jwks_file = settings.auth_jwt_public_key_file, settings.auth_jwt_jwks_file
        if algorithm == "HS256":
            if pem_file is not None or jwks_file is not None:
                raise ValueError(
                    "AUTH_JWT_PUBLIC_KEY_FILE and AUTH_JWT_JWKS_FILE need AUTH_JWT_ALGORITHM "
                    "RS256 or ES256; it is HS256"
                )
            keys: tuple[_SigningKey, ...] = (_SigningKey(None, _shared_secret(settings)),)
        elif pem_file is not None and jwks_file is None:
            keys = (_SigningKey(None, _read_pem(pem_file, algorithm)),)
        elif jwks_file is not None and pem_file is None:
            keys = _read_jwks(jwks_file, algorithm)
        else:
            raise ValueError(
                f"AUTH_JWT_ALGORITHM={algorithm} needs exactly one of AUTH_JWT_PUBLIC_KEY_FILE "
                "(PEM) or AUTH_JWT_JWKS_FILE"
            )
        return cls(
            algorithm=algorithm,
            keys=keys,
            issuer=settings.auth_jwt_issuer or None,
            audience=settings.auth_jwt_audience or None,
        )

    # Tokens already verified, each with its expiry: a client polling with one token pays for
    # its signature and claims once. Only a token that verified is kept (the whole string, so
    # its signature too), and only until it expires; `nbf` and `iat` held when it was checked
    # and the clock only moves on. Bounded, oldest first out.
    _verified: dict[str, tuple[float, Principal]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def verify(self, token: str) -> Principal:
        return self.verify_until(token)[0]

    def verify_until(self, token: str) -> tuple[Principal, float]:
        """The caller, and when (by `clock`) its token stops being accepted: a subscription
        outlives the request that opened it, and is closed then."""
        known = self._verified.get(token)
        if known is not None:
            expires, principal = known
            if self.clock() < expires:
                return principal, expires
            del self._verified[token]
        principal, expires = self._verify_signed(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified.pop(next(iter(self._verified)), None)
        self._verified[token] = (expires, principal)
        return principal, expires

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            # Only a key set that names its keys needs the header's `kid` read first.
            only_key = len(self.keys) == 1 and self.keys[0].kid is None
            kid = None if only_key else jwt.get_unverified_header(token).get("kid")
            key = self._key_for(kid)
            # With no audience configured PyJWT refuses any token that carries `aud`: a token
            # minted for another API must not be replayed here, so that default stays.
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(_reason(error)) from None
        principal = Principal(subject=_subject(claims), role=_role(claims), scopes=_scopes(claims))
        # PyJWT accepted `exp` as a number; it stays accepted until the leeway has passed.
        return principal, float(claims["exp"]) + LEEWAY_SECONDS

    def _key_for(self, kid: str | None) -> str | PublicKey:
        # One key (a secret, a PEM, or a one-key JWKS) is used unless the token names another.
        if len(self.keys) == 1:
            (only,) = self.keys
            if kid is None or only.kid is None or only.kid == kid:
                return only.key
            raise InvalidToken("token names an unknown signing key")
        if kid is None:
            raise InvalidToken("token does not name its signing key (kid)")
        for candidate in self.keys:
            if candidate.kid == kid:
                return candidate.key
        raise InvalidToken("token names an unknown signing key")


def issue_token(
    secret: str,
    subject: str,
    role: Role = Role.BUYER,
    ttl: timedelta = timedelta(days=1),
    scopes: tuple[str, ...] = (),
) -> str:
    """An HS256 token for development and tests, verifiable under AUTH_JWT_ALGORITHM=HS256."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": subject, "role": role.value, "iat": now, "exp": now + ttl}
    if scopes:
        claims["scope"] = " ".join(scopes)
    return jwt.encode(claims, secret, algorithm=DEVELOPMENT_ALGORITHM)


def issue_metrics_token(secret: str, subject: str, ttl: timedelta = timedelta(days=1)) -> str:
    """An HS256 scrape credential: /metrics takes it, the GraphQL API refuses it."""
    now = datetime.now(UTC)
    claims = {"sub": subject, "role": METRICS_ROLE, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=DEVELOPMENT_ALGORITHM)


def principal_from_header(verifier: TokenVerifier, authorization: str | None) -> Principal | None:
    """None when no token was sent; InvalidToken when one was sent and is bad."""
    session = session_from_header(verifier, authorization)
    return session[0] if session else None


def session_from_header(
    verifier: TokenVerifier, authorization: str | None
) -> tuple[Principal, float] | None:
    """`principal_from_header`, with the moment the token expires."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected 'Authorization: Bearer <token>'")
    return verifier.verify_until(token.strip())


def _shared_secret(settings: Settings) -> str:
    try:
        secret = settings.resolved_jwt_secret()
    except RuntimeError as error:
        raise ValueError(str(error)) from None
    if settings.app_env != "development" and len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"AUTH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes when "
            f"APP_ENV={settings.app_env}"
        )
    return secret


def _read_pem(path: Path, algorithm: str) -> PublicKey:
    try:
        loaded = load_pem_public_key(path.read_bytes())
    except OSError as error:
        raise ValueError(f"AUTH_JWT_PUBLIC_KEY_FILE {path} cannot be read: {error}") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError(f"AUTH_JWT_PUBLIC_KEY_FILE {path} is not a PEM public key") from None
    key = _fitting_key(loaded, algorithm)
    if key is None:
        raise ValueError(
            f"AUTH_JWT_PUBLIC_KEY_FILE {path} is not {_KEY_KINDS[algorithm]} for {algorithm}"
        )
    return key


def _read_jwks(path: Path, algorithm: str) -> tuple[_SigningKey, ...]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"AUTH_JWT_JWKS_FILE {path} cannot be read: {error}") from None
    except ValueError:  # bad JSON or bad UTF-8
        raise ValueError(f"AUTH_JWT_JWKS_FILE {path} is not JSON") from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"AUTH_JWT_JWKS_FILE {path} is not a JWKS: it has no 'keys' list")
    keys = tuple(
        key for entry in entries if (key := _jwk_signing_key(entry, algorithm)) is not None
    )
    if not keys:
        raise ValueError(
            f"AUTH_JWT_JWKS_FILE {path} holds no {algorithm} signing key ({_KEY_KINDS[algorithm]})"
        )
    kids = {key.kid for key in keys}
    if len(keys) > 1 and (None in kids or len(kids) < len(keys)):
        raise ValueError(
            f"AUTH_JWT_JWKS_FILE {path} holds several {algorithm} signing keys; "
            "each needs its own kid"
        )
    return keys


def _jwk_signing_key(entry: object, algorithm: str) -> _SigningKey | None:
    """The entry as a key for verifying `algorithm`, or None when it is not one.

    Identity providers publish encryption keys (`use: enc`) and keys for other algorithms in
    the same set (RFC 7517 §4.2, §4.4); those are skipped rather than tried.
    """
    if not isinstance(entry, dict):
        return None
    if entry.get("use", "sig") != "sig" or entry.get("alg", algorithm) != algorithm:
        return None
    kid = entry.get("kid")
    if kid is not None and not isinstance(kid, str):
        return None
    try:
        key = _fitting_key(jwt.PyJWK(entry, algorithm).key, algorithm)
    except jwt.PyJWTError:
        return None
    return None if key is None else _SigningKey(kid, key)


def _fitting_key(key: object, algorithm: str) -> PublicKey | None:
    """The key when it is a public key strong enough for `algorithm`; private keys do not fit."""
    if algorithm == "RS256" and isinstance(key, RSAPublicKey):
        return key if key.key_size >= MIN_RSA_KEY_BITS else None
    if algorithm == "ES256" and isinstance(key, EllipticCurvePublicKey):
        return key if isinstance(key.curve, SECP256R1) else None
    return None


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.MissingRequiredClaimError):
        # The claim is one of the names we required, never text from the token.
        return f"token has no '{error.claim}' claim"
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "token is invalid"


def _subject(claims: dict[str, Any]) -> str:
    subject = claims["sub"]
    if not isinstance(subject, str) or not 1 <= len(subject) <= MAX_SUBJECT_LENGTH:
        raise InvalidToken(f"sub must be a string of 1 to {MAX_SUBJECT_LENGTH} characters")
    return subject


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """OAuth's `scope`: one space-separated string (RFC 8693 §4.2); some providers send a list."""
    scope = claims.get("scope", "")
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list) and all(isinstance(name, str) for name in scope):
        return frozenset(scope)
    raise InvalidToken("scope must be a string or a list of strings")


def _role(claims: dict[str, Any]) -> Role:
    """`role` (this service's claim) and `roles` (an identity provider's list), strongest wins.

    An unknown `role` is refused; unknown entries of `roles` are ignored, because identity
    providers put their own there (Keycloak's `offline_access`, say).
    """
    roles = claims.get("roles", [])
    if not isinstance(roles, list):
        raise InvalidToken("roles must be a list")
    names = [name for name in roles if isinstance(name, str) and name in _ROLE_NAMES]
    if "role" in claims:
        role = claims["role"]
        if role == METRICS_ROLE:
            # Raised only once the signature and claims verified: proof enough for /metrics.
            raise MetricsOnlyToken
        if not isinstance(role, str) or role not in _ROLE_NAMES:
            raise InvalidToken("unknown role")
        names.append(role)
    granted = {Role(name) for name in names}
    return next((role for role in _ROLES_BY_RANK if role in granted), Role.BUYER)
