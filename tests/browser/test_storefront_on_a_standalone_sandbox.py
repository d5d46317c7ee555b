"""The storefront of a service that holds Toss keys: its page may run the SDK its config.json
names. Here Toss is the standalone sandbox on an origin of its own, as a merchant testing
against it runs it; the page's policy must admit that origin's script, or the shopper's order
is created and cannot be paid."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import BrowserPage
from tests.browser.shop_steps import (
    approve_and_see_paid,
    order_in_shop,
    pay_with_widget,
    reach_widget,
)
from tests.support.servers import ServerProcess, newcomer_server
from toss_graphql.config import (
    SANDBOX_CLIENT_KEY,
    SANDBOX_SECRET_KEY,
    SANDBOX_WIDGET_CLIENT_KEY,
    SANDBOX_WIDGET_SECRET_KEY,
)


@pytest.fixture(scope="module")
def keyed_service(
    tmp_path_factory: pytest.TempPathFactory, sandbox_server: ServerProcess
) -> Iterator[ServerProcess]:
    keys = {
        "TOSS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "TOSS_CLIENT_KEY": SANDBOX_CLIENT_KEY,
        "TOSS_WIDGET_SECRET_KEY": SANDBOX_WIDGET_SECRET_KEY,
        "TOSS_WIDGET_CLIENT_KEY": SANDBOX_WIDGET_CLIENT_KEY,
        "TOSS_API_URL": sandbox_server.url,
    }
    with newcomer_server(tmp_path_factory.mktemp("keyed"), keys) as server:
        yield server


async def test_the_shop_pays_through_the_sdk_of_the_toss_it_is_keyed_for(
    keyed_service: ServerProcess, sandbox_server: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop = f"{keyed_service.url}/demo"
    await order_in_shop(page, shop)
    await reach_widget(page, shop)
    assert f"{sandbox_server.url}/v2/standard" in log.requests
    await pay_with_widget(page, sandbox_server.url)
    await approve_and_see_paid(page, shop)
    assert not [line for line in log.console if "Content Security Policy" in line]
