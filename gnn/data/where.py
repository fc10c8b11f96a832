"""Which part of the graph to export: :class:`SubgraphFilter` and the small ``--where`` language that builds it.

Every value reaches Cypher as a ``$parameter``; the text of a ``--where`` never does.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class SubgraphFilter:
    """Which part of the graph to export; every value reaches Cypher as a ``$parameter``.

    All filters combine with AND; ``None`` (or an empty tuple) means "no restriction".
    Users pass the ``users`` filter, movies the year and genre filters, ratings join the two
    and pass the time window. Nodes are exported even when no rating of theirs is (they
    still get embeddings and scores); a subgraph without any rating is an error.

    Args:
        min_year (int, optional): Movies released in this year or later. (default: ``None``)
        max_year (int, optional): Movies released in this year or earlier. (default: ``None``)
        genres (tuple[str, ...]): Movies in at least one of these genres. (default: ``()``)
        users (tuple[int, ...]): Only these ``userId`` values. (default: ``()``)
        rated_after (datetime, optional): Ratings at or after this instant. (default: ``None``)
        rated_before (datetime, optional): Ratings strictly before this instant. (default: ``None``)

    Example:
        >>> SubgraphFilter(min_year=2000, genres=("Comedy",)).params()["min_year"]
        2000
    """

    min_year: int | None = None
    max_year: int | None = None
    genres: tuple[str, ...] = ()
    users: tuple[int, ...] = ()
    rated_after: datetime | None = None
    rated_before: datetime | None = None

    def params(self) -> dict[str, Any]:
        """The Cypher parameters of the export queries (``None``/empty means no restriction)."""
        return {
            "min_year": self.min_year,
            "max_year": self.max_year,
            "genres": list(self.genres) or None,
            "users": list(self.users) or None,
            "rated_after": self.rated_after,
            "rated_before": self.rated_before,
        }

    def describe(self) -> str:
        """A short human-readable summary, e.g. ``"min_year=2000, genres=Comedy"``."""
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value in (None, ()):
                continue
            if isinstance(value, tuple):
                value = ",".join(str(v) for v in value)
            parts.append(f"{f.name}={value}")
        return ", ".join(parts) or "whole graph"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (datetimes as ISO strings)."""
        out = dataclasses.asdict(self)
        for key in ("rated_after", "rated_before"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        out["genres"] = list(self.genres)
        out["users"] = list(self.users)
        return out



_CLAUSE = re.compile(r"^\s*(?P<field>[a-z_.]+)\s*(?P<op>>=|<=|>|<|=|==|\bin\b)\s*(?P<value>.+?)\s*$", re.IGNORECASE)
_FIELDS = {"year": ("m.year", "movie year"), "genre": ("genre", "genre name"), "user": ("u.userId", "userId"),
           "rated": ("r.timestamp", "rating date")}


def parse_where(text: str) -> dict[str, Any]:
    """Parse the small ``--where`` language into :class:`SubgraphFilter` keyword arguments.

    Clauses are joined with ``and``; each is ``FIELD OP VALUE``:

    - ``year >= 2000``, ``year <= 2010``, ``year = 1999`` (also ``m.year``);
    - ``genre = Comedy``, ``genre in (Comedy, Drama)``;
    - ``user in (1, 2, 3)``, ``user = 7`` (also ``u.userId``);
    - ``rated >= 2015-01-01``, ``rated < 2016-06-30T12:00:00`` (also ``r.timestamp``; UTC when no zone).

    Values are parsed here and travel to Cypher as parameters; the text itself never does.

    Args:
        text (str): The expression.

    Returns:
        dict[str, Any]: Keyword arguments of :class:`SubgraphFilter`.

    Raises:
        ValueError: A clause is not understood (the message names it).

    Example:
        >>> parse_where("year >= 2000 and genre in (Comedy, Drama)")
        {'min_year': 2000, 'genres': ('Comedy', 'Drama')}
    """
    out: dict[str, Any] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if match is None:
            raise ValueError(f"--where: cannot read {clause!r} (expected FIELD OP VALUE, e.g. 'year >= 2000')")
        name, op, value = match["field"].lower(), match["op"].lower(), match["value"]
        key = {"m.year": "year", "u.userid": "user", "r.timestamp": "rated"}.get(name, name)
        if key not in _FIELDS:
            raise ValueError(f"--where: unknown field {match['field']!r} in {clause!r} "
                             "(known: year, genre, user, rated)")
        items = _items(value) if op == "in" else [value.strip().strip("'\"")]
        try:
            if key == "year":
                year = int(items[0])
                if op in (">=", ">", "=", "=="):
                    out["min_year"] = year + (op == ">")
                if op in ("<=", "<", "=", "=="):
                    out["max_year"] = year - (op == "<")
                if op == "in":
                    raise ValueError("use year >= / <=")
            elif key == "genre":
                if op not in ("=", "==", "in"):
                    raise ValueError("genre takes = or in")
                out["genres"] = tuple(items)
            elif key == "user":
                if op not in ("=", "==", "in"):
                    raise ValueError("user takes = or in")
                out["users"] = tuple(int(i) for i in items)
            else:
                when = parse_datetime(items[0])
                if op in (">=", ">"):
                    out["rated_after"] = when
                elif op == "<":
                    out["rated_before"] = when
                else:
                    raise ValueError("rated takes >= or <")
        except ValueError as e:
            raise ValueError(f"--where: cannot read {clause!r}: {e}") from e
    return out


def _items(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("(") and value.endswith(")") or value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    items = [v.strip().strip("'\"") for v in value.split(",")]
    return [v for v in items if v]


def parse_datetime(text: str) -> datetime:
    """``YYYY-MM-DD`` or an ISO datetime; UTC when no zone is given.

    Raises:
        ValueError: Not a date.
    """
    when = datetime.fromisoformat(text.strip())
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)

