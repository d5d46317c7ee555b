"""GraphiQL in a real browser: the link `serve` prints opens it with the demo buyer's header,
a query runs, and nothing is requested from any host but the API's own."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from tests.browser.conftest import BrowserPage
from tests.support.flows import FAIL, create_order, graphql
from tests.support.servers import ServerProcess, printed

LOAD_TIMEOUT_MS = 30_000


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def test_the_printed_link_runs_a_query_as_the_demo_buyer(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    link = printed(newcomer, "GraphiQL")
    token = printed(newcomer, "Demo buyer token")

    await page.goto(link)
    await page.locator(".graphiql-container").wait_for(timeout=LOAD_TIMEOUT_MS)
    # The headers editor shows the demo buyer's header, filled in by the link.
    await page.get_by_text("Authorization").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    async with page.expect_response(
        lambda response: (
            response.url == f"{newcomer.url}/graphql" and response.request.method == "POST"
        )
    ) as answered:
        await page.locator(".graphiql-execute-button").click()
    response = await answered.value
    sent_headers = await response.request.all_headers()
    body = await response.json()
    await page.locator(".graphiql-response").get_by_text('"edges"').wait_for()
    # The explorer plugin shows the schema, read by introspection: the query, opened.
    await page.get_by_role("button", name="Show GraphiQL Explorer").click()
    await page.locator(".graphiql-plugin").get_by_text("needsAttention").wait_for()

    assert sent_headers["authorization"] == f"Bearer {token}"
    assert response.status == 200
    assert "errors" not in body, body
    assert isinstance(body["data"]["orders"]["edges"], list)
    outside = [url for url in log.requests if _origin(url) != newcomer.url]
    assert outside == [], outside
    assert log.errors == []
    assert log.console_errors() == []
    if screenshots := os.environ.get("SCREENSHOTS_DIR"):
        # For the README: the header editor is masked, a token has no place in a picture.
        editor_tools = page.locator(".graphiql-editor-tool")
        await page.screenshot(
            path=Path(screenshots) / "graphiql.png", mask=[editor_tools], mask_color="#d0d4da"
        )


async def test_the_page_asks_nothing_of_another_host_even_before_a_query(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    await page.goto(f"{newcomer.url}/graphql")
    await page.locator(".graphiql-container").wait_for(timeout=LOAD_TIMEOUT_MS)
    # Introspection fills the schema for the explorer and the docs: the page is live.
    await page.wait_for_load_state("networkidle")

    assert log.requests, "the page loaded nothing"
    assert {_origin(url) for url in log.requests} == {newcomer.url}
    assert any("/graphiql/assets/" in url for url in log.requests)
    assert log.errors == [] and log.console_errors() == []
    served = await page.request.get(f"{newcomer.url}/graphql", headers={"Accept": "text/html"})
    policy = served.headers["content-security-policy"]
    # The policy names no host: nothing outside this origin could load even if asked.
    assert "://" not in policy and "*" not in policy, policy


SUBSCRIPTION = """subscription Follow($orderId: ID!) {
  orderUpdated(orderId: $orderId) { orderId status failure { code } }
}"""


async def test_a_subscription_runs_live_with_the_headers_editors_token(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    token = printed(newcomer, "Demo buyer token")
    async with httpx.AsyncClient(base_url=newcomer.url) as api:
        order = await create_order(api, token, {"lines": [{"sku": "americano"}]})
        fragment = {
            "headers": json.dumps({"Authorization": f"Bearer {token}"}),
            "query": SUBSCRIPTION,
            "variables": json.dumps({"orderId": order["orderId"]}),
        }
        await page.goto(f"{newcomer.url}/graphql#{urlencode(fragment)}")
        await page.locator(".graphiql-container").wait_for(timeout=LOAD_TIMEOUT_MS)
        await page.get_by_text("Authorization").first.wait_for(timeout=LOAD_TIMEOUT_MS)
        await page.locator(".graphiql-execute-button").click()
        result = page.locator(".graphiql-response")
        await result.get_by_text('"PENDING"').wait_for(timeout=LOAD_TIMEOUT_MS)

        failed = await graphql(
            api,
            FAIL,
            {"orderId": order["orderId"], "code": "PAY_PROCESS_CANCELED", "message": "취소"},
            token,
        )
        assert failed["data"]["failPayment"]["errors"] == []
        await result.get_by_text('"FAILED"').wait_for(timeout=LOAD_TIMEOUT_MS)

    assert log.sockets == [f"{newcomer.url.replace('http', 'ws', 1)}/graphql"]
    assert log.errors == []
    assert log.console_errors() == []
