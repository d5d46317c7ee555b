"""The Toss Payments HTTP client: the production implementation of `PaymentGateway`."""

from .client import TossGateway
from .config import TossGatewayConfig, create_http_client
from .idempotency import confirm_idempotency_key

__all__ = [
    "TossGateway",
    "TossGatewayConfig",
    "confirm_idempotency_key",
    "create_http_client",
]
