"""Each setting that turns a fast path off is validated, and puts the stock part in its place
(README.md, Configuration)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from one_trip_sqlite import OneTripConnection
from toss_graphql.config import Settings
from toss_graphql.db.engine import create_database_engine
from toss_graphql.schema.execution import PlainLeavesExecutionContext
from toss_graphql.schema.limits import MaxAliasesRule, MaxDepthRule
from toss_graphql.schema.schema import ExecutionChoices, RequestPipeline, build_schema

SWITCHES = ("GRAPHQL_FAST_PATH", "GRAPHQL_LIMIT_RULES", "GRAPHQL_EXTENSIONS", "SQLITE_DRIVER")


def test_the_defaults_are_the_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SWITCHES:  # `make test-stock` sets them all
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.graphql_fast_path is True
    assert settings.graphql_limit_rules == "own"
    assert settings.graphql_extensions == "pipeline"
    assert settings.sqlite_driver == "one-trip"


def test_the_switches_are_read_from_the_environment_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPHQL_FAST_PATH", "false")
    monkeypatch.setenv("GRAPHQL_LIMIT_RULES", "Strawberry")
    monkeypatch.setenv("GRAPHQL_EXTENSIONS", "STRAWBERRY")
    monkeypatch.setenv("SQLITE_DRIVER", " aiosqlite ")
    settings = Settings()
    assert settings.graphql_fast_path is False
    assert settings.graphql_limit_rules == "strawberry"
    assert settings.graphql_extensions == "strawberry"
    assert settings.sqlite_driver == "aiosqlite"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRAPHQL_FAST_PATH", "sometimes"),
        ("GRAPHQL_LIMIT_RULES", "none"),
        ("GRAPHQL_EXTENSIONS", "fast"),
        ("SQLITE_DRIVER", "sqlite3"),
    ],
)
def test_a_value_that_names_no_path_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()


def test_the_fast_schema_has_the_short_path_and_the_pipeline() -> None:
    schema = build_schema()
    assert issubclass(schema.execution_context_class, PlainLeavesExecutionContext)
    assert list(schema.extensions) == [RequestPipeline]
    assert RequestPipeline.validation_rules == (MaxDepthRule, MaxAliasesRule)


def test_without_the_fast_path_graphql_core_executes_every_field() -> None:
    schema = build_schema(choices=ExecutionChoices(fast_path=False))
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext


def test_strawberrys_limit_rules_ride_in_the_pipeline() -> None:
    schema = build_schema(choices=ExecutionChoices(limit_rules="strawberry"))
    (pipeline,) = schema.extensions
    assert isinstance(pipeline, type) and issubclass(pipeline, RequestPipeline)
    assert MaxDepthRule not in pipeline.validation_rules
    assert MaxAliasesRule not in pipeline.validation_rules
    assert len(pipeline.validation_rules) == 2


def test_strawberrys_extensions_replace_the_pipeline() -> None:
    schema = build_schema(choices=ExecutionChoices(extensions="strawberry"), production=True)
    made = [extension for extension in schema.get_extensions()]
    names = [type(extension).__name__ for extension in made]
    assert not any(isinstance(extension, RequestPipeline) for extension in made)
    assert names == [
        "OperationSpan",
        "MaxTokensLimiter",
        "AddValidationRules",
        "ValidationCache",
        "RequestIdMaskErrors",
        "DisableIntrospection",
    ]


@pytest.mark.parametrize("driver", ["one-trip", "aiosqlite"])
async def test_each_sqlite_driver_begins_immediate_with_the_same_pragmas(
    tmp_path: Path, driver: str
) -> None:
    path = tmp_path / "driver.db"
    engine = create_database_engine(
        f"sqlite+aiosqlite:///{path}",
        sqlite_driver=driver,  # type: ignore[arg-type]
    )
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with engine.begin() as connection:
            pragmas = [
                (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
            # The transaction holds the write lock from its start: another writer is refused.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            raw = await connection.get_raw_connection()
            is_one_trip = isinstance(raw.driver_connection, OneTripConnection)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        assert pragmas == ["wal", 2, 1, 30_000]
        assert is_one_trip is (driver == "one-trip")
        assert (engine.pool.size() == 1) is (driver == "one-trip")  # type: ignore[attr-defined]
    finally:
        other.close()
        await engine.dispose()


@pytest.mark.parametrize(
    "document",
    ["subscription { orderUpdated(orderId: ", "subscription { " + "__typename " * 5_001 + "}"],
)
async def test_a_subscription_refused_before_it_runs_is_answered_alike(document: str) -> None:
    """A refusal while parsing is an answer on both paths, never an exception that would
    escape the WebSocket handler (schema/schema.py, RequestPipeline.on_parse)."""
    answers: list[list[object]] = []
    for choices in (ExecutionChoices(), ExecutionChoices(extensions="strawberry")):
        stream = await build_schema(choices=choices).subscribe(document)
        assert isinstance(stream, AsyncIterator)
        answers.append(
            [[error.formatted for error in result.errors or []] async for result in stream]
        )
    assert answers[0] == answers[1]
    assert answers[0] and answers[0][0]
