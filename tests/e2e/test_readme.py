"""README's GraphQL, run as a reader runs it: every ```graphql block, in order, against what
`make run` starts (`seed-demo`, then `serve` with the built-in sandbox), with the values a
reader copies from earlier answers and from the checkout's address filled in."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationType, get_operation_ast, parse, validate

from tests.support.flows import checkout, create_order, graphql
from tests.support.servers import ServerProcess, newcomer_server, printed
from tests.support.subscriptions import first_multipart_result
from toss_graphql.config import SANDBOX_CLIENT_KEY, SANDBOX_WIDGET_CLIENT_KEY
from toss_graphql.schema.schema import build_schema

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^( *)```graphql\n(.*?)^\1```", re.S | re.M)
PLACEHOLDER = re.compile(r"<(\w+)>")


def readme_blocks() -> list[str]:
    return [textwrap.dedent(body) for _, body in BLOCK.findall(README.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def reader_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with newcomer_server(tmp_path_factory.mktemp("readme")) as server:
        yield server


class Reader:
    """What a reader has at hand: the demo token, and the values earlier steps showed."""

    def __init__(self, api: httpx.AsyncClient, sandbox: httpx.AsyncClient, token: str) -> None:
        self.api, self.sandbox, self.token = api, sandbox, token
        self.known: dict[str, Any] = {}

    async def value(self, name: str) -> Any:
        if name not in self.known:
            await self._find(name)
        return self.known[name]

    async def _find(self, name: str) -> None:
        order = {key: self.known[key] for key in ("orderId", "orderName", "amount")}
        if name == "paymentKey":  # step 3: the checkout, approved, with its checkout's key
            client_key = (
                SANDBOX_WIDGET_CLIENT_KEY
                if self.known.get("checkout") == "WIDGET"
                else SANDBOX_CLIENT_KEY
            )
            approved = await checkout(self.sandbox, order, clientKey=client_key)
            self.known["paymentKey"] = approved["paymentKey"]
        elif name == "failedOrderId":  # the fail page's address, for another order
            other = await create_order(self.api, self.token, {"lines": [{"sku": "americano"}]})
            redirect = await checkout(self.sandbox, other, "PAY_PROCESS_CANCELED")
            self.known["failedOrderId"] = redirect["orderId"]
        else:
            raise AssertionError(f"README uses <{name}>, which no step shows")

    def saw(self, data: dict[str, Any]) -> None:
        created = (data.get("createOrder") or {}).get("order")
        if created and "orderId" not in self.known:
            self.known.update(created)


async def test_every_graphql_block_of_the_readme_runs_in_order(reader_api: ServerProcess) -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 7, "README's GraphQL blocks were not found"
    token = printed(reader_api, "Demo buyer token")
    async with (
        httpx.AsyncClient(base_url=reader_api.url, timeout=30) as api,
        httpx.AsyncClient(base_url=f"{reader_api.url}/sandbox", timeout=30) as sandbox,
    ):
        reader = Reader(api, sandbox, token)
        for number, block in enumerate(blocks, 1):
            text = block
            for name in PLACEHOLDER.findall(block):
                text = text.replace(f"<{name}>", str(await reader.value(name)))
            operation = get_operation_ast(parse(text))
            assert operation is not None, f"block {number} is not one operation:\n{block}"
            variables = {
                definition.variable.name.value: await reader.value(definition.variable.name.value)
                for definition in operation.variable_definitions or ()
            }
            if operation.operation is OperationType.SUBSCRIPTION:
                body = await first_multipart_result(api, text, variables, token)
            else:
                body = await graphql(api, text, variables, token)
            assert "errors" not in body, f"block {number}:\n{block}\n{body}"
            for payload in body["data"].values():
                assert not (isinstance(payload, dict) and payload.get("errors")), (number, body)
            reader.saw(body["data"])


DOCS = sorted((README.parent / "docs").glob("*.md"))


@pytest.mark.parametrize("path", DOCS, ids=[path.name for path in DOCS])
def test_every_graphql_block_of_the_docs_is_a_complete_document(path: Path) -> None:
    """The docs' snippets use variables where README's use values; each must still be a
    document a reader can paste: one operation that validates against the schema."""
    schema = build_schema()._schema
    for _, body in BLOCK.findall(path.read_text(encoding="utf-8")):
        document = parse(textwrap.dedent(body))
        assert get_operation_ast(document) is not None, body
        assert validate(schema, document) == [], body
