"""What every benchmark of one run shares: its settings, the sides it compares, and the
order they run in within a round."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .servers import Server

Side = TypeVar("Side")


@dataclass(frozen=True)
class Bench:
    """The settings of one `python -m bench` run and its scratch directory."""

    directory: Path
    rounds: int
    seconds: int
    # The benchmark buyer's bearer token, from the project's own CLI.
    token: str

    def say(self, message: str) -> None:
        """Progress, on stderr: stdout carries only the tables."""
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Target:
    """A server and the path its side of the comparison is asked on."""

    label: str
    server: Server
    path: str

    @property
    def url(self) -> str:
        return self.server.url + self.path


def in_round_order(round_index: int, sides: Sequence[Side]) -> list[Side]:
    """Even rounds run the sides in their order, odd rounds in reverse, so that no side
    always runs first, or always right after the same other side."""
    return list(sides) if round_index % 2 == 0 else list(reversed(sides))
