"""Load from wrk, and the CPU a server process tree spent serving it.

CPU is read from /proc/<pid>/stat (utime + stime, all threads) for the server and every
process below it, uvicorn's workers included, just before and just after a run.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .servers import Server

CONNECTIONS = 16
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_WRK_MARK = "BENCH-RESULT"
# wrk's done() callback prints one line the benchmark reads instead of wrk's human report:
# requests, duration (µs), errors by kind, and the 50th and 99th percentile latencies (µs).
_DONE = f"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{_WRK_MARK} %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run against one server."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests


def _stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, CPU ticks) of a process, or None if it is gone."""
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    fields = line[line.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and all its descendants."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(entry)) is not None:
            parents[int(entry)], ticks[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += ticks.get(pid, 0)
        pending.extend(children.get(pid, []))
    return total / _TICKS_PER_SECOND


def lua_script(directory: Path, name: str, path: str, body: str, token: str) -> Path:
    """A wrk script POSTing `body` to `path` with the bearer token."""
    script = directory / f"{name}.lua"
    # A long bracket holds the JSON as it is, quotes and backslashes included.
    script.write_text(
        f'wrk.method = "POST"\n'
        f'wrk.path = "{path}"\n'
        f"wrk.body = [==[{body}]==]\n"
        f'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n' + _DONE
    )
    return script


def run_wrk(server: Server, script: Path, seconds: int, connections: int = CONNECTIONS) -> Sample:
    """`wrk -t1 -c16 --latency` for `seconds`, with the server tree's CPU over the run."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "30s",
        "-s",
        str(script),
        server.url,
    ]
    before = tree_cpu_seconds(server.pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    cpu = tree_cpu_seconds(server.pid) - before
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    line = next((x for x in done.stdout.splitlines() if x.startswith(_WRK_MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}")
    requests, duration, *errors, p50, p99 = (int(x) for x in line.split()[1:])
    if any(errors) or requests == 0:
        # A run with refusals or broken connections measured something else than the path.
        raise RuntimeError(
            f"wrk against {server.name} saw errors (connect, read, write, status, timeout = "
            f"{errors}):\n{done.stdout}\nThe end of its log:\n{server.log_tail()}"
        )
    return Sample(requests, duration / 1e6, p50 / 1000, p99 / 1000, cpu)
