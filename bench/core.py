"""What every measure shares: the interface, the result row, medians and the table.

A measure is a module in bench/measures/ with a module-level MEASURE object that has

    name: str                      # short, unique: "profile_page", "trust_recompute", ...
    order: int                     # where its rows go in the table (lower first)
    def run(self, ctx: Context) -> list[Row]

Every Row puts a measured value beside a reference measured in the same run on the same
machine, and their ratio; `goal` says what the ratio (or value) must be and `ok` whether it
is. Measures time with time.perf_counter and take the median of ctx.repeat runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    measure: str
    subject: str
    value: float
    unit: str
    reference: float | None = None
    reference_label: str = ""
    goal: str = ""
    ok: bool | None = None
    note: str = ""
    # ratio = value / reference unless the measure says otherwise (lower-is-better units)
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.ratio is None and self.reference:
            self.ratio = self.value / self.reference


@dataclass
class Context:
    """What a measure may use: the data set's facts and the run's options."""

    database_url: str
    redis_url: str
    works: int
    authors: int
    repeat: int = 3
    duration: float = 5.0
    options: dict = field(default_factory=dict)
    # Authors picked once for every measure: "median", "hub", "works_1", "works_100", ...
    subjects: dict[str, object] = field(default_factory=dict)
    log: Callable[[str], None] = print


class Measure(Protocol):
    name: str
    order: int

    def run(self, ctx: Context) -> list[Row]: ...


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if unit == "x":
        return f"{value:.2f}×"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


HEADER = ("measure", "subject", "value", "reference", "ratio", "goal", "ok", "note")


def table(rows: list[Row]) -> list[tuple[str, ...]]:
    out = []
    for r in rows:
        ref = fmt(r.reference, r.unit)
        if r.reference_label:
            ref += f" ({r.reference_label})"
        ok = "" if r.ok is None else ("yes" if r.ok else "**no**")
        out.append(
            (r.measure, r.subject, fmt(r.value, r.unit), ref if r.reference is not None else "",
             fmt(r.ratio, "x") if r.ratio is not None else "", r.goal, ok, r.note)
        )  # fmt: skip
    return out


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table(rows)]
    return "\n".join(lines)


def plain(rows: list[Row]) -> str:
    cells = [HEADER, *table(rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    return "\n".join("  ".join(c[i].ljust(widths[i]) for i in range(len(HEADER))) for c in cells)
