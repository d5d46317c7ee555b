"""LOG_LEVEL=DEBUG, as an operator chasing a fault turns it on: the log still holds no piece
of a bearer token (the WebSocket library's wire trace would print `connection_init`), and
each call to Toss is one line, the gateway's."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import checkout, confirm, create_order
from tests.support.servers import ServerProcess
from tests.support.subscriptions import ws_session

pytestmark = pytest.mark.e2e

# The shortest piece of a token the log may not hold.
PIECE = 16


def pieces(token: str) -> set[str]:
    """Every piece of the token's claims and signature; its header is the same in every
    token this server signs (the banner prints the demo tokens), so it proves nothing."""
    claims_and_signature = token.split(".", 1)[1]
    return {
        claims_and_signature[start : start + PIECE]
        for start in range(len(claims_and_signature) - PIECE + 1)
    }


async def test_debug_logs_hold_no_piece_of_a_token_and_one_line_per_toss_call(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    await seed_catalog(clean_database)
    buyer, subscriber = token_for("alice"), token_for("bob")
    with serve_api(
        tmp_path, clean_database, sandbox_server.url, settings={"LOG_LEVEL": "DEBUG"}
    ) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as api,
            httpx.AsyncClient(base_url=sandbox_server.url, timeout=30) as sandbox,
        ):
            order = await create_order(api, buyer, {"lines": [{"sku": "americano"}]})
            paid = await confirm(api, buyer, await checkout(sandbox, order))
            assert paid["errors"] == []
        async with ws_session(server.url, subscriber) as session:
            await session.send({"type": "ping"})
            assert (await session.message())["type"] == "pong"
        log = server.log()

    assert "DEBUG" in log, "the server logged at DEBUG"
    for token in (buyer, subscriber):
        leaked = [piece for piece in pieces(token) if piece in log]
        assert not leaked, f"{len(leaked)} pieces of a token in the log"
    confirm_lines = [line for line in log.splitlines() if "/v1/payments/confirm" in line]
    assert len(confirm_lines) == 1, confirm_lines
    assert "toss_graphql.gateway" in confirm_lines[0]
