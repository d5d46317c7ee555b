from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .driver import SUCCESS_URL, basic_auth, checkout_form, new_order_id

_SECRET_KEY = "test_sk_standalone"


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


@pytest.fixture
def standalone_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = tmp_path / "sandbox.log"
    environment = {**os.environ, "TOSS_SECRET_KEY": _SECRET_KEY}
    command = [
        sys.executable,
        "-m",
        "toss_graphql.sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        f"sqlite+aiosqlite:///{tmp_path}/standalone/sb.db",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


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
