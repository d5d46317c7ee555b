"""Every case of the contract table against every target it can run on.

`sandbox` always runs, over real HTTP to the standalone process. `toss` runs the cases that
need no checkout against https://api.tosspayments.com when TOSS_LIVE_SECRET_KEY holds a
test key, and is skipped, saying so, otherwise.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.contract.cases import CASES
from tests.contract.contract import Auth, ContractCase, fill
from tests.contract.targets import WIDGET_SECRET_KEY_VARIABLE, Target, authorization, prepare

_TIMEOUT_SECONDS = 10

_RUNS = [
    pytest.param(case, target, id=f"{target}-{case.id}")
    for target in ("sandbox", "toss")
    for case in CASES
    if target == "sandbox" or not case.given.needs_checkout
]


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text


@pytest.mark.parametrize(("case", "target"), _RUNS, indirect=["target"])
def test_target_answers_as_toss_documents(case: ContractCase, target: Target) -> None:
    if case.auth is Auth.WIDGET_KEY and target.widget_secret_key is None:
        pytest.skip(
            f"{WIDGET_SECRET_KEY_VARIABLE} is not set: the widget-key cases were not checked "
            f"against {target.name} (set it to a test_gsk_ key)"
        )
    with httpx.Client(base_url=target.base_url, timeout=_TIMEOUT_SECONDS) as client:
        order = prepare(client, target.secret_key, case.given, cancel_follows=case.is_cancel)
        names = order.names()
        response = client.request(
            case.method,
            case.path.format_map(names),
            json=None if case.body is None else fill(dict(case.body), names),
            headers={**authorization(case.auth, target), **dict(case.headers)},
        )

    differences = case.differences(response.status_code, _json(response), names)
    if not response.headers.get("content-type", "").startswith("application/json"):
        differences.append(f"Content-Type {response.headers.get('content-type')!r}")
    doubt = f"\n(toss-api.md flags this: {case.doubt})" if case.doubt else ""
    assert not differences, (
        f"{target.name} differs from toss-api.md {case.source}:\n  "
        + "\n  ".join(differences)
        + f"\nbody: {response.text[:500]}{doubt}"
    )
