"""A small HTTP/1.1 load driver for the confirm benchmarks, where wrk is awkward.

Each confirm consumes a checkout, so every request is different and the run is a fixed list
of them rather than a duration. Sixteen keep-alive connections, like wrk's, each send the
next request as soon as their previous answer is in. Raw asyncio streams rather than an HTTP
client library: the driver shares the machine with the servers it measures and must cost
them as little CPU as possible.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .load import CONNECTIONS


@dataclass(frozen=True, slots=True)
class Exchange:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Run:
    exchanges: list[Exchange]
    seconds: float


def post(path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """One POST, as bytes ready to send on a keep-alive connection."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers: dict[str, str] = {}
    for line in head[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, headers, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() != "chunked":
        raise RuntimeError(f"an answer with neither Content-Length nor chunks: {head}")
    body = bytearray()
    while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")  # the empty trailer
    return status, headers, bytes(body)


async def _drive(port: int, requests: Sequence[bytes], connections: int) -> Run:
    streams = [
        await asyncio.open_connection("127.0.0.1", port)
        for _ in range(min(connections, len(requests)))
    ]
    answers: list[Exchange | None] = [None] * len(requests)
    indexes = iter(range(len(requests)))

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index in indexes:
            sent = time.perf_counter()
            writer.write(requests[index])
            await writer.drain()
            status, headers, body = await _read_answer(reader)
            answers[index] = Exchange(status, headers, body, time.perf_counter() - sent)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(connection(reader, writer) for reader, writer in streams))
        elapsed = time.perf_counter() - started
    finally:
        for _, writer in streams:
            writer.close()
    exchanges = [answer for answer in answers if answer is not None]
    assert len(exchanges) == len(requests), "every request was answered"
    return Run(exchanges, elapsed)


def drive(port: int, requests: Sequence[bytes], connections: int = CONNECTIONS) -> Run:
    """Send every request over `connections` connections; the answers in request order."""
    return asyncio.run(_drive(port, requests, connections))


def drive_each(
    loads: Sequence[tuple[int, Sequence[bytes]]], connections: int = CONNECTIONS
) -> list[Run]:
    """Several servers driven at once, each (port, requests) over its own `connections`."""

    async def together() -> list[Run]:
        runs = (_drive(port, requests, connections) for port, requests in loads)
        return list(await asyncio.gather(*runs))

    return asyncio.run(together())


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
