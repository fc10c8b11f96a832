"""Field-level parsing and validation shared by every format reader.

Each helper checks one field of one line and raises an :class:`~movierec.core.errors.IngestError`
naming the file (its label) and the line: ``"ratings.csv line 3: rating 'four' is not a number"``.
Titles lose their trailing ``(year)``, and genre lists their "no genre" markers, here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from movierec.core.errors import IngestError

NO_GENRE = frozenset({"(no genres listed)", "unknown"})

# A trailing "(1995)", "(2006–2007)" or "(2007- )", with any spaces around it.
# "Title (1995)" or "Title (2006–2007)": the title and its (first) year; shared with bench/admin_import.py
TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:\s*[-–]\s*(?:\d{4})?\s*)?\)\s*$")


class LineError(IngestError):
    """An input error in one file, at one line (``line`` is ``None`` when it is about the whole file).

    Its message is ``"<label> line <line>: <reason>"`` (or ``"<label>: <reason>"``); the parts stay
    available so that a caller can reword it.

    Args:
        label (str): The file as messages name it (``ratings.csv``, ``x.zip:ml-1m/ratings.dat``).
        line (int | None): The 1-based line number, or ``None``.
        reason (str): What is wrong, e.g. ``"rating 'four' is not a number"``.
    """

    def __init__(self, label: str, line: int | None, reason: str) -> None:
        where = f"{label} line {line}" if line is not None else label
        super().__init__(f"{where}: {reason}")
        self.label = label
        self.line = line
        self.reason = reason

    def __reduce__(self) -> tuple[type[LineError], tuple[str, int | None, str]]:
        return type(self), (self.label, self.line, self.reason)


def _fail(label: str, line: int | None, message: str) -> LineError:
    return LineError(label, line, message)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _int(label: str, line: int, column: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _fail(label, line, f"{column} {text!r} is not an integer") from None


def _float(label: str, line: int, column: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _fail(label, line, f"{column} {text!r} is not a number") from None
    if not np.isfinite(value):
        raise _fail(label, line, f"{column} {text!r} is not a finite number")
    return value


def _positive_id(label: str, line: int, column: str, text: str) -> int:
    value = _int(label, line, column, text)
    if value < 1:
        raise _fail(label, line, f"{column} {value} is not positive")
    return value


def _split_title(title: str) -> tuple[str, int | None]:
    title = title.strip()
    match = TITLE_YEAR.match(title)
    if match is None or not match.group("title").strip():
        return title, None
    return match.group("title").strip(), int(match.group("year"))


def _genre_list(text: str) -> list[str]:
    return [g for g in (part.strip() for part in text.split("|")) if g and g not in NO_GENRE]
