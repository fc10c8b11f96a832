"""``::``-separated ``.dat`` releases: ml-1m and ml-10m.

``movies.dat`` and ``ratings.dat`` in both; ml-1m adds ``users.dat`` (demographics, occupations
coded 0-20), ml-10m ``tags.dat``. The text files are read as UTF-8 when their bytes are valid
UTF-8, else as latin-1 (ml-1m's ``movies.dat`` is latin-1); see :func:`_decode_any`.
"""

from __future__ import annotations

from movierec.ingest.movielens.checks import (
    Release,
    _assemble,
    _check_ratings,
    _empty_tags,
    _movies_frame,
    _tags_frame,
    _users_frame,
)
from movierec.ingest.movielens.fields import _fail, _genre_list, _int, _lines, _positive_id, _split_title
from movierec.ingest.movielens.ratings import _RATINGS_CSV, _read_numeric
from movierec.ingest.movielens.source import _decode_any, _Source

# ml-1m's users.dat codes occupations as 0-20 (its README); stored as the names, like ml-100k's.
ML1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
)

_RATINGS_DAT = _RATINGS_CSV


def _read_dat(source: _Source, dataset: str) -> Release:
    required = ["movies.dat", "ratings.dat"] + (["users.dat"] if dataset == "ml-1m" else [])
    source.require(required, dataset)
    label = source.label("movies.dat")
    rows: list[dict[str, object]] = []
    for line, text in _lines(_decode_any(source, "movies.dat")):
        parts = text.split("::")
        if len(parts) < 3:
            raise _fail(label, line, f"expected 3 '::'-separated fields (MovieID::Title::Genres), found {len(parts)}")
        title, year = _split_title("::".join(parts[1:-1]))
        rows.append({
            "movieId": _positive_id(label, line, "movieId", parts[0]), "title": title, "year": year,
            "genres": _genre_list(parts[-1]), "imdbId": None, "tmdbId": None, "releaseDate": None, "_line": line,
        })
    movies = _movies_frame(rows, label)
    ratings = _check_ratings(_read_numeric(source, "ratings.dat", _RATINGS_DAT, header=None, sep="::"))

    users = None
    if source.has("users.dat"):
        users_label = source.label("users.dat")
        user_rows = []
        for line, text in _lines(_decode_any(source, "users.dat")):
            parts = text.split("::")
            if len(parts) != 5:
                raise _fail(users_label, line,
                            f"expected 5 '::'-separated fields (UserID::Gender::Age::Occupation::Zip), found "
                            f"{len(parts)}")
            occupation = _int(users_label, line, "occupation", parts[3])
            if not 0 <= occupation < len(ML1M_OCCUPATIONS):
                raise _fail(users_label, line, f"occupation {occupation} is not a code from 0 to 20")
            user_rows.append((
                _positive_id(users_label, line, "userId", parts[0]), parts[1].strip(),
                _int(users_label, line, "age", parts[2]), ML1M_OCCUPATIONS[occupation], parts[4].strip(), line,
            ))
        users = _users_frame(user_rows, users_label)

    tags = _empty_tags()
    if source.has("tags.dat"):
        tags_label = source.label("tags.dat")
        tag_rows = []
        for line, text in _lines(_decode_any(source, "tags.dat")):
            head = text.split("::", 2)
            if len(head) < 3 or "::" not in head[2]:
                raise _fail(tags_label, line, "expected 4 '::'-separated fields (UserID::MovieID::Tag::Timestamp)")
            tag, ts = head[2].rsplit("::", 1)
            tag_rows.append((
                _positive_id(tags_label, line, "userId", head[0]), _positive_id(tags_label, line, "movieId", head[1]),
                tag, _int(tags_label, line, "timestamp", ts), line,
            ))
        tags = _tags_frame(tag_rows, tags_label)
    return _assemble(dataset, source, movies, ratings, tags, users=users)
