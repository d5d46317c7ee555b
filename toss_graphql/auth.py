"""Bearer tokens: who is asking (`sub`) and with which role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from .domain.models import Principal, Role

ALGORITHM = "HS256"
# Clock skew tolerated between the token's issuer and this server.
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The token is missing, malformed, expired or not signed by us."""


def issue_token(
    secret: str, subject: str, role: Role = Role.BUYER, ttl: timedelta = timedelta(days=1)
) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "role": role.value, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    try:
        # The algorithm list is pinned: a token naming another algorithm (or "none") fails.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "exp"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject or len(subject) > 128:
        raise InvalidToken("sub must be a non-empty string of at most 128 characters")
    try:
        role = Role(claims.get("role", Role.BUYER.value))
    except ValueError:
        raise InvalidToken("unknown role") from None
    return Principal(subject=subject, role=role)


def principal_from_header(secret: str, authorization: str | None) -> Principal | None:
    """None when no token was sent; InvalidToken when one was sent and is bad."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected 'Authorization: Bearer <token>'")
    return verify_token(secret, token.strip())
