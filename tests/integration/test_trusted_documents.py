"""Trusted documents on both databases: a manifest built by `toss-graphql trusted-documents`,
loaded at start-up; in trusted-only mode its documents run by id, by Apollo's hash or by
their text, and nothing else does, over HTTP and WebSocket alike."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import settings_for, token_for
from tests.support.database import seed_catalog
from tests.support.flows import CREATE_ORDER, ORDER, create_order, graphql
from tests.support.servers import ServerProcess
from tests.support.subscriptions import ORDER_UPDATED, ws_session
from toss_graphql.app import create_app
from toss_graphql.config import Settings
from toss_graphql.schema.trusted_documents import TrustedDocumentsError

GRJ = "application/graphql-response+json"
ARBITRARY = "query Mine { orders(first: 1) { edges { node { orderId } } } }"


def build_manifest(folder: Path, documents: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / f"{name}.graphql").write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "toss_graphql.cli", "trusted-documents", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    built = build_manifest(
        tmp_path / "operations",
        {"create": CREATE_ORDER, "order": ORDER, "follow": ORDER_UPDATED},
    )
    assert built.returncode == 0, built.stderr
    path = tmp_path / "trusted.json"
    path.write_text(built.stdout, encoding="utf-8")
    return path


@pytest.fixture
def settings(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path, manifest: Path
) -> Settings:
    return settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={"trusted_documents_file": manifest, "trusted_documents_only": True}
    )


def test_the_manifest_maps_each_documents_sha256_to_its_text(manifest: Path) -> None:
    written = json.loads(manifest.read_text(encoding="utf-8"))
    assert written == {sha256(text): text for text in (CREATE_ORDER, ORDER, ORDER_UPDATED)}


async def test_trusted_documents_run_by_id_by_hash_and_by_text(
    api: httpx.AsyncClient, clean_database: str
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    headers = {"Authorization": f"Bearer {alice}"}
    order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})  # by its text
    variables = {"orderId": order["orderId"]}
    by_id = await api.post(
        "/graphql",
        json={"documentId": f"sha256:{sha256(ORDER)}", "variables": variables},
        headers=headers,
    )
    apollo = {"persistedQuery": {"version": 1, "sha256Hash": sha256(ORDER)}}
    by_hash = await api.post(
        "/graphql", json={"variables": variables, "extensions": apollo}, headers=headers
    )
    by_get = await api.get(
        "/graphql",
        params={"documentId": sha256(ORDER), "variables": json.dumps(variables)},
        headers=headers,
    )
    for response in (by_id, by_hash, by_get):
        assert response.status_code == 200, response.text
        assert response.json()["data"]["order"]["status"] == "PENDING"


async def test_anything_else_is_refused_before_execution(api: httpx.AsyncClient) -> None:
    alice = token_for("alice")
    headers = {"Authorization": f"Bearer {alice}", "Accept": GRJ}
    cases = [
        ({"query": ARBITRARY}, "TRUSTED_DOCUMENTS_ONLY"),
        # Not the same document: one field fewer.
        ({"query": ORDER.replace(" receiptUrl", "")}, "TRUSTED_DOCUMENTS_ONLY"),
        ({"documentId": "sha256:" + "0" * 64}, "PERSISTED_QUERY_NOT_FOUND"),
        ({"documentId": sha256(ORDER), "query": ARBITRARY}, "PERSISTED_QUERY_MISMATCH"),
        ({}, "TRUSTED_DOCUMENTS_ONLY"),
    ]
    for body, code in cases:
        response = await api.post("/graphql", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert list(response.json()) == ["errors"]
        assert response.json()["errors"][0]["extensions"] == {"code": code}, body
    legacy = await graphql(api, ARBITRARY, token=alice)
    assert legacy["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"


async def test_subscriptions_obey_the_manifest_too(
    api: httpx.AsyncClient, api_url: str, clean_database: str
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
    async with ws_session(api_url, alice) as session:
        await session.send(
            {
                "id": "trusted",
                "type": "subscribe",
                "payload": {
                    "documentId": sha256(ORDER_UPDATED),
                    "variables": {"orderId": order["orderId"]},
                },
            }
        )
        first = await session.orders("trusted", until=lambda _: True)
        await session.subscribe("other", 'subscription { orderUpdated(orderId: "x") { status } }')
        refused = await session.message()
    assert first[0]["status"] == "PENDING"
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"] == {"code": "TRUSTED_DOCUMENTS_ONLY"}


def test_a_manifest_with_a_document_the_schema_refuses_stops_the_start(
    settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"broken": "{ order(orderId: 1) { nope } }"}), encoding="utf-8")
    with pytest.raises(TrustedDocumentsError, match=r"broken: .*nope"):
        create_app(settings.model_copy(update={"trusted_documents_file": bad}))
    with pytest.raises(RuntimeError, match="TRUSTED_DOCUMENTS_FILE"):
        create_app(settings.model_copy(update={"trusted_documents_file": None}))


def test_the_builder_refuses_a_document_the_schema_refuses(tmp_path: Path) -> None:
    built = build_manifest(tmp_path / "ops", {"bad": "query Bad { nope }"})
    assert built.returncode == 2
    assert "nope" in built.stderr
    assert built.stdout == ""


# JSON's escape for half of a UTF-16 pair, which no UTF-8 text can hold: a document carrying one
# is refused like any other unknown document.
LONE_SURROGATE = "\ud800"
SURROGATE_QUERY = "{ __typename }" + LONE_SURROGATE
# The same over a GET: its three bytes in the generalised UTF-8 a lax client writes.
SURROGATE_QUERY_STRING = "query=%7B%20__typename%20%7D%ED%A0%80"


def assert_refused_as_json(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.json()["errors"][0]["extensions"] == {"code": code}, response.text
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_lone_surrogate_in_the_query_is_a_json_refusal_over_http(api_url: str) -> None:
    headers = {"Authorization": f"Bearer {token_for('alice')}", "Content-Type": "application/json"}
    cases = [
        ({"query": SURROGATE_QUERY}, "TRUSTED_DOCUMENTS_ONLY"),
        ({"query": SURROGATE_QUERY, "documentId": sha256(ORDER)}, "PERSISTED_QUERY_MISMATCH"),
        (
            {"query": SURROGATE_QUERY, "extensions": {"persistedQuery": {"sha256Hash": "0"}}},
            "PERSISTED_QUERY_NOT_FOUND",
        ),
    ]
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=10) as client:
        for body, code in cases:
            # json.dumps writes the surrogate as the escape a client sends, "\ud800".
            posted = await client.post("/graphql", content=json.dumps(body))
            assert_refused_as_json(posted, code)
        got = await client.get(f"/graphql?{SURROGATE_QUERY_STRING}")
        assert_refused_as_json(got, "TRUSTED_DOCUMENTS_ONLY")


async def test_a_lone_surrogate_in_a_subscription_is_an_error_message(api_url: str) -> None:
    async with ws_session(api_url, token_for("alice")) as session:
        await session.subscribe("odd", "subscription { orderUpdated }" + LONE_SURROGATE)
        refused = await session.message()
        # The connection is still there for the next operation.
        await session.subscribe("other", 'subscription { orderUpdated(orderId: "x") { status } }')
        after = await session.message()
    assert refused["id"] == "odd"
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"] == {"code": "TRUSTED_DOCUMENTS_ONLY"}
    assert after["id"] == "other"
    assert after["payload"][0]["extensions"] == {"code": "TRUSTED_DOCUMENTS_ONLY"}
