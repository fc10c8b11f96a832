"""Plain-text tables: the one formatter behind the CLI's tables, ``evaluate`` and the bench reports.

Example:
    >>> print(format_table(["model", "RMSE"], [["bias", 0.8771], ["mf", None]], rule=True))
    model    RMSE
    -----  ------
    bias   0.8771
    mf          -
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def format_cell(value: Any, digits: int = 4, missing: str = "-") -> str:
    """A cell as text: floats with ``digits`` decimals, lists joined by ``|``, ``None`` as ``missing``."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    return str(value)


def format_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    digits: int = 4,
    missing: str = "-",
    max_width: dict[int, int] | None = None,
    align_numbers: bool = True,
    rule: bool = False,
) -> str:
    """Rows under a header, columns padded to their widest cell.

    Args:
        header (Sequence[str]): Column titles.
        rows (Sequence[Sequence[Any]]): Cells; non-strings go through :func:`format_cell`.
        digits (int): Decimals of float cells. (default: ``4``)
        missing (str): Text of ``None`` cells. (default: ``"-"``)
        max_width (dict[int, int], optional): Column index → longest cell; longer ones are cut with ``…``.
        align_numbers (bool): Right-align every column after the first whose cells are numbers or missing.
            (default: ``True``)
        rule (bool): A line of dashes under the header. (default: ``False``)

    Returns:
        str: The table, lines without trailing spaces.
    """
    max_width = max_width or {}
    cells = [[c if isinstance(c, str) else format_cell(c, digits, missing) for c in row] for row in rows]
    for cut in cells:
        for i, limit in max_width.items():
            if len(cut[i]) > limit:
                cut[i] = cut[i][: limit - 1] + "…"
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    right = [
        align_numbers and i > 0 and bool(rows)
        and all(row[i] is None or (isinstance(row[i], int | float) and not isinstance(row[i], bool)) for row in rows)
        for i in range(len(header))
    ]

    def line(parts: Sequence[str]) -> str:
        return "  ".join(p.rjust(widths[i]) if right[i] else p.ljust(widths[i]) for i, p in enumerate(parts)).rstrip()

    out = [line(header)]
    if rule:
        out.append(line(["-" * w for w in widths]))
    out += [line(row) for row in cells]
    return "\n".join(out)
