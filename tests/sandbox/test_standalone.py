from __future__ import annotations

import os
import pkgutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import toss_sandbox

from .driver import SUCCESS_URL, basic_auth, checkout_form, new_order_id

_SECRET_KEY = "test_sk_standalone"
# The installed console script, next to the interpreter running the tests.
_CONSOLE_SCRIPT = Path(sys.executable).parent / "toss-sandbox"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sandbox exited early:\n{log.read_text()}")
        try:
            httpx.get(f"{base_url}/admin/requests", timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
        else:
            return
    pytest.fail(f"sandbox did not start:\n{log.read_text()}")


@contextmanager
def _serving(
    command: list[str], port: int, log: Path, environment: dict[str, str], cwd: Path | None = None
) -> Iterator[str]:
    """Runs `command` until the context ends; yields its base URL once it answers."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment, cwd=cwd
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def standalone_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    environment = {**os.environ, "TOSS_SECRET_KEY": _SECRET_KEY}
    command = [
        sys.executable,
        "-m",
        "toss_sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        f"sqlite+aiosqlite:///{tmp_path}/standalone/sb.db",
    ]
    with _serving(command, port, tmp_path / "sandbox.log", environment) as base_url:
        yield base_url


@pytest.mark.e2e
def test_standalone_server_takes_a_checkout_and_a_confirm_over_real_http(
    standalone_url: str,
) -> None:
    order_id = new_order_id()
    with httpx.Client(base_url=standalone_url, timeout=5) as client:
        page = client.get("/checkout", params=checkout_form(order_id, 7_000))
        submitted = client.post("/checkout", data=checkout_form(order_id, 7_000))
        location = httpx.URL(submitted.headers["location"])
        confirmed = client.post(
            "/v1/payments/confirm",
            json={
                "paymentKey": location.params["paymentKey"],
                "orderId": order_id,
                "amount": int(location.params["amount"]),
            },
            headers={"Authorization": basic_auth(_SECRET_KEY)},
        )

    assert page.status_code == 200
    assert "7,000원" in page.text
    assert submitted.status_code == 303
    assert str(location).startswith(SUCCESS_URL)
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "DONE"
    assert confirmed.json()["checkout"]["url"].startswith(standalone_url + "/v1/payments/")


@pytest.mark.e2e
def test_the_toss_sandbox_console_script_serves_toss_with_its_default_key(
    tmp_path: Path,
) -> None:
    port = _free_port()
    # Nothing from the test's environment: the defaults (key, database under ./var) apply.
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"TOSS_SECRET_KEY", "SANDBOX_DATABASE_URL"}
    }
    command = [str(_CONSOLE_SCRIPT), "--port", str(port)]
    with _serving(command, port, tmp_path / "sandbox.log", environment, cwd=tmp_path) as url:
        unknown = httpx.get(
            f"{url}/v1/payments/orders/{new_order_id()}",
            headers={"Authorization": basic_auth("test_sk_sandbox")},
            timeout=5,
        )
        unauthorized = httpx.get(f"{url}/v1/payments/orders/{new_order_id()}", timeout=5)

    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/json")
    assert unknown.json()["code"] == "NOT_FOUND_PAYMENT"
    assert unauthorized.status_code == 401
    assert unauthorized.json()["code"] == "UNAUTHORIZED_KEY"
    assert (tmp_path / "var" / "sandbox.db").is_file()


def test_the_toss_sandbox_help_names_every_option_with_its_default() -> None:
    shown = subprocess.run(
        [str(_CONSOLE_SCRIPT), "--help"], capture_output=True, text=True, check=True, timeout=30
    ).stdout

    assert shown.startswith("usage: toss-sandbox")
    text = " ".join(shown.split())
    for described in [
        "--host HOST address to listen on (default: 127.0.0.1)",
        "--port PORT port to listen on (default: 8100)",
        "(default: env SANDBOX_DATABASE_URL if set, else sqlite+aiosqlite:///var/sandbox.db)",
        "--webhook-url WEBHOOK_URL where webhooks go",
        "(default: nowhere)",
    ]:
        assert described in text


def test_toss_sandbox_imports_nothing_from_toss_graphql() -> None:
    modules = [
        module.name
        for module in pkgutil.walk_packages(toss_sandbox.__path__, prefix="toss_sandbox.")
    ]
    assert "toss_sandbox.app" in modules and "toss_sandbox.__main__" in modules
    program = (
        "import importlib, sys\n"
        f"for name in {['toss_sandbox', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] == 'toss_graphql')\n"
        "assert not leaked, leaked\n"
    )

    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
