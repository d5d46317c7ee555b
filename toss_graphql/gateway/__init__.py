"""The Toss Payments HTTP client: the production implementation of `PaymentGateway`."""

from toss_graphql.gateway.client import TossGateway
from toss_graphql.gateway.config import TossGatewayConfig, create_http_client
from toss_graphql.gateway.idempotency import confirm_idempotency_key

__all__ = [
    "TossGateway",
    "TossGatewayConfig",
    "confirm_idempotency_key",
    "create_http_client",
]
