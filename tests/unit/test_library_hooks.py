"""The library internals the fast paths stand on are still there, in the shape they use.

Each bypass (README.md, Configuration: GRAPHQL_FAST_PATH, GRAPHQL_EXTENSIONS, SQLITE_DRIVER,
GRAPHQL_LIMIT_RULES) reaches past a library's public interface. An upgrade that removes or
reshapes one of these fails here, by name, and the matching setting turns the bypass off
until it is mended. Parameter names are compared, not annotations: a bypass calls by name.
"""

from __future__ import annotations

import inspect
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import aiosqlite
import pytest
from graphql import GraphQLEnumType, GraphQLNonNull
from graphql.execution.executor import Executor
from strawberry.asgi import GraphQL
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.field import StrawberryField

from one_trip_sqlite import OneTripConnection, one_trip_connector
from toss_graphql.graphql_endpoint import GraphQLApp
from toss_graphql.schema.schema import PaymentsSchema, RequestPipeline, build_schema
from toss_graphql.web.graphql_ws import GraphQLTransportWS


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


# schema/execution.py


def test_execute_field_takes_what_the_short_path_passes_on() -> None:
    assert issubclass(StrawberryGraphQLCoreExecutionContext, Executor)
    assert _parameters(StrawberryGraphQLCoreExecutionContext.execute_field) == [
        "self",
        "parent_type",
        "source",
        "field_details_list",
        "path",
        "position_context",
    ]


def test_the_executor_takes_an_awaitable_check_and_middleware() -> None:
    parameters = _parameters(Executor.__init__)
    assert "is_awaitable" in parameters
    assert "middleware_manager" in parameters
    source = inspect.getsource(Executor)
    # The short path replaces the check on the instance and reads the middleware from it.
    assert "self.is_awaitable = " in source
    assert "self.middleware_manager = " in source


def test_strawberrys_awaitable_check_is_where_it_was() -> None:
    assert _parameters(optimized_is_awaitable) == ["value"]
    assert optimized_is_awaitable(object()) is False


def test_a_plain_field_carries_its_strawberry_field_and_a_default_resolver() -> None:
    schema = build_schema()
    assert isinstance(schema, PaymentsSchema)
    order = schema._schema.type_map["Order"]
    status = order.fields["status"]  # type: ignore[attr-defined]
    definition = status.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert isinstance(definition, StrawberryField)
    assert definition.default_resolver is getattr
    assert definition.python_name == "status"
    assert status.resolve._is_default is True
    # An enum's members, which the short path looks up by value.
    enum_type = status.type.of_type if isinstance(status.type, GraphQLNonNull) else status.type
    assert isinstance(enum_type, GraphQLEnumType)
    assert getattr(enum_type, "wrapped_cls", None) is not None


def test_a_field_with_a_resolver_is_not_marked_default() -> None:
    schema = build_schema()
    orders = schema._schema.type_map["Query"].fields["orders"]  # type: ignore[attr-defined]
    assert not getattr(orders.resolve, "_is_default", False)


# schema/schema.py: RequestPipeline


def test_the_pipelines_parents_take_what_it_gives_them() -> None:
    assert "should_mask_error" in _parameters(MaskErrors.__init__)
    assert _parameters(MaskErrors.anonymise_error) == ["self", "error"]
    assert _parameters(ParserCache.__init__) == ["self", "maxsize"]
    assert _parameters(ValidationCache.__init__) == ["self", "maxsize"]
    for hook in ("on_operation", "on_parse", "on_validate"):
        assert callable(getattr(RequestPipeline, hook))
    pipeline = RequestPipeline()
    # The parse cache RequestPipeline.on_parse calls by its attribute name.
    assert callable(pipeline.cached_parse_document)


# graphql_endpoint.py: GraphQLApp and GraphQLTransportWS

OVERRIDDEN_HOOKS: dict[str, list[str]] = {
    "__call__": ["self", "scope", "receive", "send"],
    "should_render_graphql_ide": ["self", "request"],
    "render_graphql_ide": ["self", "request"],
    "get_context": ["self", "request", "response"],
    "process_result": ["self", "request", "result"],
    "create_streaming_response": ["self", "request", "stream", "sub_response", "headers"],
    "create_response": ["self", "response_data", "sub_response"],
    "parse_http_body": ["self", "request"],
    "decode_json": ["self", "data"],
    "execute_single": [
        "self",
        "request",
        "request_adapter",
        "sub_response",
        "context",
        "root_value",
        "request_data",
    ],
}


@pytest.mark.parametrize("hook", sorted(OVERRIDDEN_HOOKS))
def test_strawberrys_view_has_each_hook_the_endpoint_overrides(hook: str) -> None:
    assert hook in vars(GraphQLApp)
    assert _parameters(getattr(GraphQL, hook)) == OVERRIDDEN_HOOKS[hook]


def test_the_stream_transport_check_the_endpoint_calls_is_there() -> None:
    assert _parameters(GraphQL._get_stream_transport_from_headers) == ["self", "headers"]
    assert "graphql_transport_ws_handler_class" in dir(GraphQL)


WS_HOOKS: dict[str, list[str]] = {
    "handle": ["self"],
    "handle_connection_init": ["self", "message"],
    "handle_subscribe": ["self", "message"],
    "send_message": ["self", "message"],
    "handle_task_exception": ["self", "error"],
    "shutdown": ["self"],
}


@pytest.mark.parametrize("hook", sorted(WS_HOOKS))
def test_strawberrys_websocket_handler_has_each_hook_overridden(hook: str) -> None:
    assert hook in vars(GraphQLTransportWS)
    assert _parameters(getattr(BaseGraphQLTransportWSHandler, hook)) == WS_HOOKS[hook]


def test_the_websocket_handlers_state_is_where_the_handler_reads_it() -> None:
    source = inspect.getsource(BaseGraphQLTransportWSHandler)
    for attribute in (
        "self.connection_init_timeout_task",
        "self.connection_init_received",
        "self.connection_acknowledged",
        "self.connection_timed_out",
        "self.websocket",
        "self.view",
    ):
        assert attribute in source, attribute


# one_trip_sqlite


def test_aiosqlite_connection_has_the_private_parts_one_trip_uses() -> None:
    assert _parameters(aiosqlite.Connection.__init__)[:3] == [
        "self",
        "connector",
        "iter_chunk_size",
    ]
    assert _parameters(aiosqlite.Connection._execute) == ["self", "fn", "args", "kwargs"]
    assert inspect.iscoroutinefunction(aiosqlite.Connection._execute)
    assert isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property)
    for method in ("commit", "rollback"):
        assert _parameters(getattr(aiosqlite.Connection, method)) == ["self"]


async def test_a_one_trip_connection_runs_on_aiosqlites_thread(tmp_path: Any) -> None:
    connection = await one_trip_connector(str(tmp_path / "hooks.db"))()
    try:
        assert isinstance(connection, OneTripConnection)
        assert isinstance(connection._thread, threading.Thread)
        assert connection._thread.daemon
        assert isinstance(connection._conn, sqlite3.Connection)
        cursor = connection.cursor()
        await cursor.execute("SELECT 1 + 1")
        assert await cursor.fetchall() == [(2,)]
    finally:
        await connection.close()
