"""The storefront's config.json in development: where the API and Toss's SDK are, which of
Toss's checkouts the shop pays through with which client key, and the demo buyer's token for a
browser on this machine only."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

from toss_graphql.auth import TokenVerifier
from toss_graphql.config import Settings
from toss_graphql.demo_storefront import TOSS_SDK_URL, storefront_config, storefront_policy


def _request(client_host: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("127.0.0.1", 8000),
            "path": "/demo/config.json",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1:8000")],
            "client": (client_host, 50000),
        }
    )


def test_a_browser_on_this_machine_gets_the_demo_buyers_token(tmp_path: Path) -> None:
    settings = Settings(toss_graphql_var_dir=tmp_path)
    config = storefront_config(settings, _request("127.0.0.1"))

    assert config["apiUrl"] == "http://127.0.0.1:8000/graphql"
    assert config["sdkUrl"] == "http://127.0.0.1:8000/sandbox/v2/standard"
    assert config["clientKey"] == settings.resolved_client_key()
    principal = TokenVerifier.from_settings(settings).verify(config["demoToken"])
    assert principal.subject == "demo-buyer" and not principal.is_admin
    assert {item["sku"] for item in config["catalog"]} >= {"americano", "cafe-latte"}


def test_a_browser_elsewhere_gets_no_token(tmp_path: Path) -> None:
    settings = Settings(toss_graphql_var_dir=tmp_path)
    assert storefront_config(settings, _request("192.168.0.20"))["demoToken"] is None
    assert storefront_config(settings, _request("not-an-address"))["demoToken"] is None


def test_the_builtin_sandbox_pays_through_the_widget_and_keeps_the_windows_key(
    tmp_path: Path,
) -> None:
    settings = Settings(toss_graphql_var_dir=tmp_path)
    config = storefront_config(settings, _request("127.0.0.1"))
    assert config["checkout"] == "widget"
    assert config["widgetClientKey"] == settings.resolved_widget_client_key() == "test_gck_sandbox"
    assert config["clientKey"] == settings.resolved_client_key() == "test_ck_sandbox"


def test_a_service_with_tosss_window_keys_only_pays_through_the_window(tmp_path: Path) -> None:
    settings = Settings(
        toss_graphql_var_dir=tmp_path,
        toss_secret_key="test_sk_merchant",
        toss_client_key="test_ck_merchant",
    )
    config = storefront_config(settings, _request("127.0.0.1"))
    assert (config["sdkUrl"], config["clientKey"]) == (TOSS_SDK_URL, "test_ck_merchant")
    assert (config["checkout"], config["widgetClientKey"]) == ("window", None)


def test_a_service_with_tosss_widget_keys_pays_through_the_widget(tmp_path: Path) -> None:
    settings = Settings(
        toss_graphql_var_dir=tmp_path,
        toss_secret_key="test_sk_merchant",
        toss_client_key="test_ck_merchant",
        toss_widget_secret_key="test_gsk_merchant",
        toss_widget_client_key="test_gck_merchant",
    )
    config = storefront_config(settings, _request("127.0.0.1"))
    assert (config["checkout"], config["widgetClientKey"]) == ("widget", "test_gck_merchant")
    assert config["clientKey"] == "test_ck_merchant"


def test_a_service_on_a_standalone_sandbox_loads_that_sandboxs_sdk(tmp_path: Path) -> None:
    settings = Settings(
        toss_graphql_var_dir=tmp_path,
        toss_secret_key="test_sk_sandbox",
        toss_client_key="test_ck_sandbox",
        toss_api_url="http://127.0.0.1:9100/",
    )
    config = storefront_config(settings, _request("127.0.0.1"))
    assert config["sdkUrl"] == "http://127.0.0.1:9100/v2/standard"


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: sources for name, *sources in (directive.split() for directive in policy.split(";"))
    }


def test_the_pages_may_run_the_sdk_config_json_names_and_nothing_else(tmp_path: Path) -> None:
    """Each way the service starts: the page's script-src admits the origin of `sdkUrl`."""
    builtin = Settings(toss_graphql_var_dir=tmp_path)
    toss = Settings(
        toss_graphql_var_dir=tmp_path,
        toss_secret_key="test_sk_merchant",
        toss_client_key="test_ck_merchant",
    )
    standalone = toss.model_copy(update={"toss_api_url": "http://127.0.0.1:9100"})
    for settings, sdk_origin in (
        (builtin, "'self'"),
        (toss, "https://js.tosspayments.com"),
        (standalone, "http://127.0.0.1:9100"),
    ):
        config = storefront_config(settings, _request("127.0.0.1"))
        scripts = _directives(storefront_policy(settings))["script-src"]
        assert scripts == sorted({"'self'", sdk_origin}, key=lambda s: s != "'self'")
        assert config["sdkUrl"].startswith(
            "http://127.0.0.1:8000/" if sdk_origin == "'self'" else sdk_origin + "/"
        )
    assert _directives(storefront_policy(toss))["frame-src"] == ["https://*.tosspayments.com"]
    assert "frame-src" not in _directives(storefront_policy(builtin))
