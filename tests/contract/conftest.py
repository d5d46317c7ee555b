"""The contract's targets: the standalone sandbox process, and Toss's test API given a key.

The sandbox is the session's `sandbox_server` (tests/conftest.py): the process
`tests.support.servers.start_sandbox` runs on a free loopback port, reached over real HTTP.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from tests.contract.cases import CASES
from tests.contract.targets import (
    SECRET_KEY_VARIABLE,
    TOSS_API_URL,
    WIDGET_SECRET_KEY_VARIABLE,
    Target,
)
from tests.support.servers import ServerProcess
from toss_graphql.config import SANDBOX_SECRET_KEY, SANDBOX_WIDGET_SECRET_KEY

TARGET_PROPERTY = "contract_target"


@pytest.fixture(scope="session")
def sandbox_target(sandbox_server: ServerProcess) -> Target:
    return Target("sandbox", sandbox_server.url, SANDBOX_SECRET_KEY, SANDBOX_WIDGET_SECRET_KEY)


@pytest.fixture(scope="session")
def toss_target() -> Target:
    secret_key = os.environ.get(SECRET_KEY_VARIABLE, "").strip()
    if not secret_key:
        pytest.skip(
            f"{SECRET_KEY_VARIABLE} is not set: the contract was not checked against "
            f"Toss's test API (set it to a test_sk_ key to run the toss target)"
        )
    if not secret_key.startswith("test_"):
        # The test-code header works only with test keys, and a live key moves real money.
        pytest.skip(f"{SECRET_KEY_VARIABLE} is not a test_ key: the toss target needs one")
    widget_secret_key = os.environ.get(WIDGET_SECRET_KEY_VARIABLE, "").strip() or None
    return Target("toss", TOSS_API_URL, secret_key, widget_secret_key)


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Target:
    """The target named by the test's `target` parameter."""
    name: str = request.param
    chosen: Target = request.getfixturevalue(f"{name}_target")
    return chosen


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "target" in callspec.params:
            item.user_properties.append((TARGET_PROPERTY, callspec.params["target"]))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per target: how many contract cases it passed, failed or skipped."""
    outcomes: dict[str, Counter[str]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if not isinstance(report, pytest.TestReport):
                continue
            properties = dict(report.user_properties)
            if TARGET_PROPERTY in properties:
                outcomes.setdefault(str(properties[TARGET_PROPERTY]), Counter())[outcome] += 1
    if not outcomes:
        return
    terminalreporter.write_sep("-", "contract targets")
    for name, counts in sorted(outcomes.items()):
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        ran = "ran" if counts["passed"] or counts["failed"] else "did not run"
        terminalreporter.write_line(f"{name}: {ran} ({summary})")
    sandbox_only = sum(case.given.needs_checkout for case in CASES)
    terminalreporter.write_line(
        f"{sandbox_only} of {len(CASES)} cases start from an approved checkout and run on the "
        "sandbox only: Toss's payment window needs a person"
    )
