"""Benchmark results: one table per stage, every figure absolute and as a ratio to a peer.

A stage's result is a list of rows (movierec's variants and the peers measured in the
same run) with the same figures. Each figure is printed as ``absolute (ratio)``, the
ratio being this row's value divided by the stage's first peer's value; extra columns
give the primary figure's ratio against every peer. Targets from the issue are checked
and printed below the table.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from movierec.core.text import format_table


@dataclass
class Row:
    """One measured variant.

    Args:
        name (str): What ran, e.g. ``"movierec ingest"``.
        figures (dict[str, float | None]): Figure name → value (``None`` when not measured).
        peer (bool): Whether this row is a peer (the reference for ratios). (default: ``False``)
        note (str): Free text printed after the table. (default: ``""``)
    """

    name: str
    figures: dict[str, float | None]
    peer: bool = False
    note: str = ""


@dataclass
class Target:
    """A target from the issue and whether this run met it."""

    name: str
    value: float | None
    goal: str
    met: bool | None


@dataclass
class StageResult:
    """One stage's table.

    Args:
        stage (str): ``ingest``, ``export``, ``train``, ``writeback`` or ``query``.
        dataset (str): The dataset's name.
        ratings (int): Its number of ratings (the size axis).
        primary (str): The figure the per-peer ratio columns use.
        units (dict[str, str]): Figure → unit, printed in the header.
        rows (list[Row]): Variants and peers.
        targets (list[Target]): Targets checked on this run.
        extra (dict): Anything else worth keeping in the JSON (counts, settings).
    """

    stage: str
    dataset: str
    ratings: int
    primary: str
    units: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def peers(self) -> list[Row]:
        return [row for row in self.rows if row.peer]

    def row(self, name: str) -> Row | None:
        return next((row for row in self.rows if row.name == name), None)


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference``, or ``None`` when either is missing or the reference is zero."""
    if value is None or reference is None or reference == 0 or math.isnan(value) or math.isnan(reference):
        return None
    return value / reference


def fmt(value: float | None) -> str:
    """A number for a table cell: thousands separators, three significant figures below 100."""
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}x"


def render(result: StageResult) -> str:
    """The stage's table as text."""
    peers = result.peers()
    first_peer = peers[0] if peers else None
    figures = list(result.units)
    header = ["variant"] + [f"{name} ({unit})" if unit else name for name, unit in result.units.items()]
    header += [f"{result.primary} ÷ {peer.name}" for peer in peers]
    lines: list[list[str]] = []
    for row in result.rows:
        cells = [row.name + (" [peer]" if row.peer else "")]
        for name in figures:
            value = row.figures.get(name)
            cell = fmt(value)
            if first_peer is not None and row is not first_peer and value is not None:
                r = ratio(value, first_peer.figures.get(name))
                if r is not None:
                    cell += f" ({fmt_ratio(r)})"
            cells.append(cell)
        for peer in peers:
            cells.append(fmt_ratio(ratio(row.figures.get(result.primary), peer.figures.get(result.primary))))
        lines.append(cells)
    out = [f"== {result.stage} · {result.dataset} ({result.ratings:,} ratings) =="]
    out.append(format_table(header, lines, rule=True))
    if first_peer is not None:
        out.append(f"(x) = ratio to {first_peer.name}, same run")
    for row in result.rows:
        if row.note:
            out.append(f"  {row.name}: {row.note}")
    for target in result.targets:
        mark = {True: "MET", False: "MISSED", None: "n/a"}[target.met]
        out.append(f"  target {target.name}: {fmt(target.value)} (goal {target.goal}) → {mark}")
    return "\n".join(out)


def to_json(results: list[StageResult], machine: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    return {"machine": machine, **meta, "stages": [asdict(r) for r in results]}


def write_json(path: Path, results: list[StageResult], machine: dict[str, Any], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(results, machine, meta), indent=2, default=str) + "\n")


def from_json(data: dict[str, Any]) -> list[StageResult]:
    """Rebuild stage results from :func:`to_json`'s output (for plots)."""
    out = []
    for stage in data.get("stages", []):
        rows = [Row(**row) for row in stage.pop("rows", [])]
        targets = [Target(**t) for t in stage.pop("targets", [])]
        out.append(StageResult(rows=rows, targets=targets, **stage))
    return out
