"""How much the GraphQL layer costs on the hottest read: one order with its payment.

Three ways to answer the same question, in this process over an ASGI transport (no network,
so what is measured is the application's own work), on a SQLite file:

- `bare`: a plain Starlette endpoint doing the same reads through the same unit of work;
- `graphql`: `order(orderId) { ... payment { ... } }` through the real app;
- `typename`: `{ __typename }`, the cost of the GraphQL machinery alone.

Prints requests per second for each, the median of several rounds, and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from toss_graphql.app import create_app
from toss_graphql.auth import issue_token
from toss_graphql.config import SANDBOX_SECRET_KEY, Settings
from toss_graphql.domain import orders
from toss_graphql.domain.models import Principal, Role
from toss_graphql.domain.services import Services

ORDER_QUERY = """query Order($orderId: ID!) { order(orderId: $orderId) {
  orderId buyer orderName amount status createdAt
  payment { paymentKey method totalAmount balanceAmount approvedAt } } }"""
SECRET = "bench-secret-with-enough-length-for-hs256!"


def _bare_app(services: Services) -> Starlette:
    async def read(request: Request) -> Response:
        principal = Principal(request.headers["x-buyer"])
        order_id = request.path_params["order_id"]
        found = await orders.get_order_with_payment(services, principal, order_id)
        if found is None:
            return JSONResponse({"order": None})
        order, payment = found
        return JSONResponse(
            {
                "order": {
                    "orderId": order.order_id,
                    "buyer": order.buyer,
                    "orderName": order.order_name,
                    "amount": order.amount,
                    "status": order.status.value,
                    "createdAt": order.created_at.isoformat(),
                    "payment": None
                    if payment is None
                    else {
                        "paymentKey": payment.payment_key,
                        "method": payment.method,
                        "totalAmount": payment.total_amount,
                        "balanceAmount": payment.balance_amount,
                    },
                }
            }
        )

    return Starlette(routes=[Route("/orders/{order_id}", read)])


async def _rate(call: Callable[[], Awaitable[httpx.Response]], requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        response = await call()
        assert response.status_code == 200, response.text
    return requests / (time.perf_counter() - started)


async def main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
            toss_api_url="http://127.0.0.1:9/unused",
            toss_secret_key=SANDBOX_SECRET_KEY,
            auth_jwt_secret=SECRET,
            toss_graphql_var_dir=Path(directory),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            services: Services = app.state.services
            order = await orders.create_order(
                services,
                Principal("bench", Role.ADMIN),
                orders.CreateOrderRequest(order_name="bench", amount=1000, buyer="alice"),
            )
            token = issue_token(SECRET, "alice")
            api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a")
            bare = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=_bare_app(services)), base_url="http://b"
            )
            headers = {"Authorization": f"Bearer {token}"}
            variables = {"orderId": order.order_id}

            def graphql() -> Awaitable[httpx.Response]:
                return api.post(
                    "/graphql",
                    json={"query": ORDER_QUERY, "variables": variables},
                    headers=headers,
                )

            def typename() -> Awaitable[httpx.Response]:
                return api.post("/graphql", json={"query": "{ __typename }"})

            def plain() -> Awaitable[httpx.Response]:
                return bare.get(f"/orders/{order.order_id}", headers={"x-buyer": "alice"})

            results: dict[str, list[float]] = {"bare": [], "graphql": [], "typename": []}
            for call in (plain, graphql, typename):  # warm-up: caches, connections
                await _rate(call, 50)
            for _ in range(rounds):
                results["bare"].append(await _rate(plain, requests))
                results["graphql"].append(await _rate(graphql, requests))
                results["typename"].append(await _rate(typename, requests))
            await api.aclose()
            await bare.aclose()

    medians = {name: statistics.median(rates) for name, rates in results.items()}
    for name, rate in medians.items():
        print(f"{name:<9} {rate:8.0f} req/s  (median of {rounds} rounds of {requests})")
    print(f"graphql / bare     = {medians['graphql'] / medians['bare']:.2f}")
    print(f"typename / bare    = {medians['typename'] / medians['bare']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
