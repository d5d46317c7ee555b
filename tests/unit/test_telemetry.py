"""Which OTEL_* environments turn tracing on, which keep it off, and which are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.resources import SERVICE_NAME

from toss_graphql import telemetry
from toss_graphql.app import create_app
from toss_graphql.cli import main
from toss_graphql.config import Settings


@pytest.mark.parametrize(
    ("environ", "exporters"),
    [
        ({}, []),
        ({"OTEL_SERVICE_NAME": "shop"}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console, otlp"}, ["console", "otlp"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, []),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, []),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            ["otlp"],
        ),
    ],
)
def test_tracing_is_on_only_when_an_exporter_or_endpoint_is_set(
    environ: dict[str, str], exporters: list[str]
) -> None:
    assert telemetry.exporter_names(environ) == exporters
    assert (telemetry.provider_from_environment(environ) is None) == (not exporters)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "'jaeger'"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "grpc",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
            "http/json",
        ),
    ],
)
def test_an_exporter_this_service_cannot_run_is_refused_by_name(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(telemetry.TracingConfigError, match=named):
        telemetry.exporter_names(environ)


def test_serve_refuses_to_start_with_an_unsupported_exporter(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    assert main(["serve"]) == 2
    assert "OTEL_TRACES_EXPORTER='zipkin' is not supported" in capsys.readouterr().err


def test_the_service_name_defaults_to_the_project_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environ = {"OTEL_TRACES_EXPORTER": "console"}
    provider = telemetry.provider_from_environment(environ)
    assert provider is not None
    assert provider.resource.attributes[SERVICE_NAME] == "toss-graphql"
    provider.shutdown()
    monkeypatch.setenv("OTEL_SERVICE_NAME", "shop-payments")
    provider = telemetry.provider_from_environment(environ)
    assert provider is not None
    assert provider.resource.attributes[SERVICE_NAME] == "shop-payments"
    provider.shutdown()


def test_off_by_default_the_app_installs_nothing_and_spans_are_no_ops(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/off.db",
        toss_api_url="http://127.0.0.1:9/sandbox",
    )
    app = create_app(settings)
    installed: list[object] = [middleware.cls for middleware in app.user_middleware]
    assert OpenTelemetryMiddleware not in installed
    assert not telemetry.enabled()
    with telemetry.span("nothing") as span:
        assert span is None
