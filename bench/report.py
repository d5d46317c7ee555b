"""Medians over rounds, project/floor ratios, and the markdown tables they are printed as."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .load import Sample

Metric = Callable[[Sample], float]

_METRICS: tuple[tuple[str, Metric, str], ...] = (
    ("req/s", lambda s: s.rate, "{:.0f}"),
    ("p50 ms", lambda s: s.p50_ms, "{:.2f}"),
    ("p99 ms", lambda s: s.p99_ms, "{:.2f}"),
    ("CPU ms/req", lambda s: s.cpu_ms_per_request, "{:.2f}"),
)


@dataclass(frozen=True)
class Comparison:
    """The project and its floor on one path, one database, one case: a sample per round."""

    database: str
    case: str
    project: Sequence[Sample]
    floor: Sequence[Sample]
    # CPU of the sandbox per request while each side ran (the confirm only), per round.
    sandbox_cpu_ms: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkersComparison:
    """1 worker against 2, for the project and for its floor, a sample per round each."""

    database: str
    project: dict[int, Sequence[Sample]]
    floor: dict[int, Sequence[Sample]]


@dataclass(frozen=True)
class SandboxRun:
    database: str
    samples: Sequence[Sample]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _ratios(project: Sequence[Sample], floor: Sequence[Sample], metric: Metric) -> list[float]:
    return [metric(p) / metric(f) for p, f in zip(project, floor, strict=True)]


def _rounds(values: Sequence[float], form: str) -> str:
    return " ".join(form.format(value) for value in values)


def comparison_table(title: str, comparisons: Sequence[Comparison]) -> str:
    """Medians per side, then the median of the per-round project/floor ratios."""
    with_sandbox = any(c.sandbox_cpu_ms for c in comparisons)
    header = ["database", "case", "server", *(name for name, _, _ in _METRICS)]
    if with_sandbox:
        header.append("sandbox CPU ms/req")
    header.append("per round (req/s; ratio: project/floor)")
    lines = [f"### {title}", "", table_row(header), table_row(["---"] * len(header))]
    for c in comparisons:
        for side, samples in (("project", c.project), ("floor", c.floor)):
            cells = [c.database, c.case, side]
            cells += [form.format(median([m(s) for s in samples])) for _, m, form in _METRICS]
            if with_sandbox:
                cells.append(f"{median(c.sandbox_cpu_ms.get(side, [0.0])):.2f}")
            cells.append(_rounds([s.rate for s in samples], "{:.0f}"))
            lines.append(table_row(cells))
        ratio_cells = [c.database, c.case, "**project/floor**"]
        ratio_cells += [f"**{median(_ratios(c.project, c.floor, m)):.2f}**" for _, m, _ in _METRICS]
        if with_sandbox:
            project_cpu, floor_cpu = c.sandbox_cpu_ms["project"], c.sandbox_cpu_ms["floor"]
            ratios = [p / f for p, f in zip(project_cpu, floor_cpu, strict=True)]
            ratio_cells.append(f"{median(ratios):.2f}")
        ratio_cells.append(_rounds(_ratios(c.project, c.floor, lambda s: s.rate), "{:.2f}"))
        lines.append(table_row(ratio_cells))
    lines += [
        "",
        "Each figure is the median of the rounds. The project/floor row is the median of the "
        "per-round ratios: below 1 for req/s means slower than the floor, above 1 for "
        "latency and CPU means costlier.",
    ]
    return "\n".join(lines)


def workers_table(comparisons: Sequence[WorkersComparison]) -> str:
    header = [
        "database",
        "server",
        "1 worker req/s",
        "2 workers req/s",
        "gain (2w/1w)",
        "1w CPU ms/req",
        "2w CPU ms/req",
        "2w p99 ms",
        "per round (gain)",
    ]
    lines = ["### Workers: `order` read, 2 workers against 1", ""]
    lines += [table_row(header), table_row(["---"] * len(header))]
    for c in comparisons:
        gains: dict[str, list[float]] = {}
        for side, runs in (("project", c.project), ("floor", c.floor)):
            gains[side] = [two.rate / one.rate for one, two in zip(runs[1], runs[2], strict=True)]
            lines.append(
                table_row(
                    [
                        c.database,
                        side,
                        f"{median([s.rate for s in runs[1]]):.0f}",
                        f"{median([s.rate for s in runs[2]]):.0f}",
                        f"{median(gains[side]):.2f}",
                        f"{median([s.cpu_ms_per_request for s in runs[1]]):.2f}",
                        f"{median([s.cpu_ms_per_request for s in runs[2]]):.2f}",
                        f"{median([s.p99_ms for s in runs[2]]):.2f}",
                        _rounds(gains[side], "{:.2f}"),
                    ]
                )
            )
        relative = [p / f for p, f in zip(gains["project"], gains["floor"], strict=True)]
        lines.append(
            table_row(
                [
                    c.database,
                    "**project gain / floor gain**",
                    "",
                    "",
                    f"**{median(relative):.2f}**",
                    "",
                    "",
                    "",
                    _rounds(relative, "{:.2f}"),
                ]
            )
        )
    lines += [
        "",
        "Gain: the 2-worker rate over the 1-worker rate of the same round. The project's "
        "rounds run first, then the floor's; the last row of each database is the median "
        "over k of the project's gain in its round k over the floor's in its round k.",
    ]
    return "\n".join(lines)


def sandbox_table(runs: Sequence[SandboxRun], target_ms: float) -> str:
    header = ["database", "confirms/s", "p50 ms", "p99 ms", "CPU ms/confirm", "target"]
    header.append("per round (CPU ms)")
    lines = ["### Sandbox: `POST /v1/payments/confirm` on the standalone `toss-sandbox`", ""]
    lines += [table_row(header), table_row(["---"] * len(header))]
    for run in runs:
        cpu = median([s.cpu_ms_per_request for s in run.samples])
        lines.append(
            table_row(
                [
                    run.database,
                    f"{median([s.rate for s in run.samples]):.0f}",
                    f"{median([s.p50_ms for s in run.samples]):.2f}",
                    f"{median([s.p99_ms for s in run.samples]):.2f}",
                    f"{cpu:.2f}",
                    f"< {target_ms:g} ms: {'met' if cpu < target_ms else 'not met'}",
                    _rounds([s.cpu_ms_per_request for s in run.samples], "{:.2f}"),
                ]
            )
        )
    return "\n".join(lines)


def table_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
