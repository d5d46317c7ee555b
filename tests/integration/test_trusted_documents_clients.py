"""Trusted-only mode with clients someone else wrote, each sending a manifest's documents in its
own form: Python's `gql` prints every document with graphql-core before sending it, over HTTP
and WebSocket, and may name it by Apollo's `persistedQuery` hash of that print; the npm
`graphql-ws` client sends what graphql-js prints. The manifest keeps the operation files' own
text, and each form runs as that text (docs/http.md, Trusted documents)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from graphql import parse, print_ast

from tests.conftest import settings_for, token_for
from tests.support.database import seed_catalog
from tests.support.flows import CREATE_ORDER, ORDER
from tests.support.servers import ServerProcess
from tests.support.subscriptions import ORDER_UPDATED, websocket_url
from toss_graphql.config import Settings
from toss_graphql.schema.trusted_documents import manifest_from

NODE_CLIENTS = Path(__file__).resolve().parent.parent / "http_audit"
AMERICANO = {"input": {"lines": [{"sku": "americano"}]}}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def printed(text: str) -> str:
    """The form `gql` (and Apollo, with graphql-js) sends."""
    return print_ast(parse(text))


@pytest.fixture
def settings(clean_database: str, sandbox_server: ServerProcess, tmp_path: Path) -> Settings:
    manifest = tmp_path / "trusted.json"
    documents = manifest_from([CREATE_ORDER, ORDER, ORDER_UPDATED])
    manifest.write_text(json.dumps(documents), encoding="utf-8")
    return settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={"trusted_documents_file": manifest, "trusted_documents_only": True}
    )


def test_the_clients_forms_are_not_the_manifests_text() -> None:
    for text in (CREATE_ORDER, ORDER, ORDER_UPDATED):
        assert printed(text) != text


def gql_over_http(api_url: str, token: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"}
    return Client(transport=HTTPXAsyncTransport(url=f"{api_url}/graphql", headers=headers))


async def test_gql_runs_trusted_documents_over_http(api_url: str, clean_database: str) -> None:
    await seed_catalog(clean_database)
    async with gql_over_http(api_url, token_for("alice")) as session:
        created = await session.execute(GraphQLRequest(CREATE_ORDER, variable_values=AMERICANO))
        order_id = created["createOrder"]["order"]["orderId"]
        read = await session.execute(GraphQLRequest(ORDER, variable_values={"orderId": order_id}))
    assert created["createOrder"]["errors"] == []
    assert read["order"]["status"] == "PENDING"


async def test_gql_names_a_document_by_apollos_hash_of_its_print(
    api_url: str, clean_database: str
) -> None:
    await seed_catalog(clean_database)
    token = token_for("alice")
    apollo = {"persistedQuery": {"version": 1, "sha256Hash": sha256(printed(CREATE_ORDER))}}
    async with gql_over_http(api_url, token) as session:
        created = await session.execute(
            GraphQLRequest(CREATE_ORDER, variable_values=AMERICANO, extensions=apollo)
        )
    order_id = created["createOrder"]["order"]["orderId"]
    # Apollo's first try: the hash alone.
    hash_only = {"persistedQuery": {"version": 1, "sha256Hash": sha256(printed(ORDER))}}
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        read = await client.post(
            "/graphql",
            json={"variables": {"orderId": order_id}, "extensions": hash_only},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert read.status_code == 200, read.text
    assert read.json()["data"]["order"]["orderId"] == order_id


async def test_gql_still_cannot_run_another_document(api_url: str) -> None:
    other = "query Mine { orders(first: 1) { edges { node { orderId } } } }"
    async with gql_over_http(api_url, token_for("alice")) as session:
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(GraphQLRequest(other))
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"] == {"code": "TRUSTED_DOCUMENTS_ONLY"}


async def test_gql_subscribes_over_websocket(api_url: str, clean_database: str) -> None:
    await seed_catalog(clean_database)
    token = token_for("alice")
    async with gql_over_http(api_url, token) as session:
        created = await session.execute(GraphQLRequest(CREATE_ORDER, variable_values=AMERICANO))
    order_id = created["createOrder"]["order"]["orderId"]
    transport = WebsocketsTransport(
        url=websocket_url(api_url),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {token}"},
    )
    async with Client(transport=transport) as session:
        follow = GraphQLRequest(ORDER_UPDATED, variable_values={"orderId": order_id})
        async with asyncio.timeout(20):
            async for update in session.subscribe(follow):
                first = update
                break
    assert first["orderUpdated"]["orderId"] == order_id
    assert first["orderUpdated"]["status"] == "PENDING"


async def node_graphql_ws(api_url: str, token: str, query: str, variables: Any) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "Node.js runs the graphql-ws client"
    assert (NODE_CLIENTS / "node_modules" / "graphql-ws").is_dir(), "run `make test` to install it"
    request = json.dumps({"token": token, "query": query, "variables": variables})
    process = await asyncio.create_subprocess_exec(
        node,
        str(NODE_CLIENTS / "graphql_ws_client.mjs"),
        websocket_url(api_url),
        request,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return answer


async def test_the_npm_graphql_ws_client_subscribes_with_its_own_print(
    api_url: str, clean_database: str
) -> None:
    await seed_catalog(clean_database)
    token = token_for("alice")
    async with gql_over_http(api_url, token) as session:
        created = await session.execute(GraphQLRequest(CREATE_ORDER, variable_values=AMERICANO))
    order_id = created["createOrder"]["order"]["orderId"]
    # Sent in the operation file's own form, re-spaced: graphql-js prints it anew.
    query = " ".join(ORDER_UPDATED.split())
    answer = await node_graphql_ws(api_url, token, query, {"orderId": order_id})
    assert answer["sent"] != ORDER_UPDATED
    assert "error" not in answer, answer
    assert answer["result"]["data"]["orderUpdated"]["orderId"] == order_id


async def test_the_npm_graphql_ws_client_is_refused_another_document(api_url: str) -> None:
    other = 'subscription { orderUpdated(orderId: "x") { status } }'
    answer = await node_graphql_ws(api_url, token_for("alice"), other, {})
    assert answer["error"][0]["extensions"] == {"code": "TRUSTED_DOCUMENTS_ONLY"}, answer
