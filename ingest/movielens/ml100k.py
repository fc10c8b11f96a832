"""ml-100k: ``u.data`` (tab-separated ratings), ``u.item``, ``u.user`` and ``u.genre``.

``u.item``, ``u.user`` and ``u.genre`` are pipe-separated latin-1; ``u.item`` flags its genres
with 19 (or, with a ``u.genre``, as many as it lists) 0/1 columns and dates releases like
``01-Jan-1995``.
"""

from __future__ import annotations

import datetime as dt

from movierec.ingest.movielens.checks import (
    Release,
    _assemble,
    _check_ratings,
    _empty_tags,
    _movies_frame,
    _users_frame,
)
from movierec.ingest.movielens.fields import NO_GENRE, _fail, _int, _lines, _positive_id, _split_title
from movierec.ingest.movielens.ratings import _RATINGS_CSV, _read_numeric
from movierec.ingest.movielens.source import _decode, _Source

# ml-100k's u.genre, in flag order (used when the release has no u.genre file).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)


def _read_100k(source: _Source) -> Release:
    source.require(["u.data", "u.item", "u.user"], "ml-100k")
    genres = list(ML100K_GENRES)
    if source.has("u.genre"):
        genre_label = source.label("u.genre")
        pairs = []
        for line, text in _lines(_decode(source, "u.genre", "latin-1")):
            name, _, index = text.rpartition("|")
            pairs.append((_int(genre_label, line, "genre index", index), name))
        genres = [name for _, name in sorted(pairs)]

    label = source.label("u.item")
    rows: list[dict[str, object]] = []
    for line, text in _lines(_decode(source, "u.item", "latin-1")):
        parts = text.split("|")
        if len(parts) != 5 + len(genres):
            raise _fail(label, line, f"expected {5 + len(genres)} '|'-separated fields, found {len(parts)}")
        flags = parts[5:]
        if any(flag.strip() not in ("0", "1") for flag in flags):
            raise _fail(label, line, "genre flags must be 0 or 1")
        title, year = _split_title(parts[1])
        rows.append({
            "movieId": _positive_id(label, line, "movieId", parts[0]), "title": title, "year": year,
            "genres": [g for g, flag in zip(genres, flags, strict=True) if flag.strip() == "1" and g not in NO_GENRE],
            "imdbId": None, "tmdbId": None, "releaseDate": _release_date(label, line, parts[2]), "_line": line,
        })
    movies = _movies_frame(rows, label)

    ratings = _check_ratings(_read_numeric(source, "u.data", _RATINGS_CSV, header=None, sep="\t"))

    users_label = source.label("u.user")
    user_rows = []
    for line, text in _lines(_decode(source, "u.user", "latin-1")):
        parts = text.split("|")
        if len(parts) != 5:
            raise _fail(users_label, line,
                        f"expected 5 '|'-separated fields (id|age|gender|occupation|zip), found {len(parts)}")
        user_rows.append((
            _positive_id(users_label, line, "userId", parts[0]), parts[2].strip(),
            _int(users_label, line, "age", parts[1]), parts[3].strip(), parts[4].strip(), line,
        ))
    users = _users_frame(user_rows, users_label)
    return _assemble("ml-100k", source, movies, ratings, _empty_tags(), users=users)


def _release_date(label: str, line: int, text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%d-%b-%Y").date().isoformat()
    except ValueError:
        raise _fail(label, line, f"release date {text!r} is not like 01-Jan-1995") from None
