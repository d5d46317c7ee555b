"""The key mix-ups Toss answers with INVALID_API_KEY at the first confirm are refused at start,
each with one message that names the variable and never the key (docs/toss-api.md §1)."""

from __future__ import annotations

from typing import Any

import pytest

from toss_graphql.config import Settings
from toss_graphql.toss_keys import TossKeyError, check_toss_keys

SECRET = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R"
CLIENT = "test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq"
WIDGET_SECRET = "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"
WIDGET_CLIENT = "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm"


def _settings(**keys: Any) -> Settings:
    return Settings(_env_file=None, **keys)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "keys",
    [
        {},
        {"toss_secret_key": SECRET, "toss_client_key": CLIENT},
        {"toss_widget_secret_key": WIDGET_SECRET, "toss_widget_client_key": WIDGET_CLIENT},
        {
            "toss_secret_key": SECRET,
            "toss_client_key": CLIENT,
            "toss_widget_secret_key": WIDGET_SECRET,
            "toss_widget_client_key": WIDGET_CLIENT,
        },
        # Keys of no known shape are the operator's business (a proxy's own, say).
        {"toss_secret_key": "sk-from-a-vault"},
        # The built-in sandbox takes any test client key, without a secret key beside it.
        {"toss_widget_client_key": WIDGET_CLIENT},
    ],
)
def test_keys_that_work_together_start(keys: dict[str, str]) -> None:
    check_toss_keys(_settings(**keys))


@pytest.mark.parametrize(
    ("keys", "named", "said"),
    [
        (
            {"toss_secret_key": WIDGET_SECRET},
            "TOSS_SECRET_KEY",
            "a payment-widget secret key (…_gsk_…), not an API secret key (…_sk_…): "
            "it belongs in TOSS_WIDGET_SECRET_KEY",
        ),
        (
            {"toss_widget_secret_key": SECRET},
            "TOSS_WIDGET_SECRET_KEY",
            "it belongs in TOSS_SECRET_KEY",
        ),
        (
            {"toss_secret_key": SECRET, "toss_client_key": WIDGET_CLIENT},
            "TOSS_CLIENT_KEY",
            "it belongs in TOSS_WIDGET_CLIENT_KEY",
        ),
        (
            {"toss_widget_secret_key": WIDGET_SECRET, "toss_widget_client_key": CLIENT},
            "TOSS_WIDGET_CLIENT_KEY",
            "it belongs in TOSS_CLIENT_KEY",
        ),
        (
            {"toss_secret_key": SECRET, "toss_client_key": SECRET},
            "TOSS_CLIENT_KEY",
            "a secret key must never reach a browser",
        ),
        (
            {"toss_secret_key": "live_sk_abcdefgh", "toss_client_key": CLIENT},
            "TOSS_SECRET_KEY is a live key but TOSS_CLIENT_KEY is a test key",
            "INVALID_API_KEY",
        ),
        (
            {"toss_secret_key": SECRET, "toss_widget_secret_key": "live_gsk_abcdefgh"},
            "TOSS_WIDGET_SECRET_KEY is a live key but TOSS_SECRET_KEY is a test key",
            "INVALID_API_KEY",
        ),
        (
            {"toss_secret_key": SECRET, "toss_widget_client_key": WIDGET_CLIENT},
            "TOSS_WIDGET_CLIENT_KEY is set but TOSS_WIDGET_SECRET_KEY is not",
            "could not be confirmed",
        ),
    ],
)
def test_a_key_mix_up_is_refused_naming_the_variable_never_the_key(
    keys: dict[str, str], named: str, said: str
) -> None:
    with pytest.raises(TossKeyError) as refused:
        check_toss_keys(_settings(**keys))

    message = str(refused.value)
    assert named in message and said in message
    for key in keys.values():
        assert key not in message
