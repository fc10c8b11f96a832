"""CSV releases: ml-20m, ml-25m, ml-32m, ml-latest and ml-latest-small.

UTF-8 files with a header: ``movies.csv`` and ``ratings.csv``, and optionally ``links.csv``
(IMDb and TMDB ids) and ``tags.csv``. Quoted fields (titles, tags) are read with :mod:`csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

import pandas as pd

from movierec.ingest.movielens.checks import (
    Release,
    _assemble,
    _check_ratings,
    _empty_tags,
    _movies_frame,
    _tags_frame,
)
from movierec.ingest.movielens.fields import _fail, _genre_list, _int, _positive_id, _split_title
from movierec.ingest.movielens.ratings import _RATINGS_CSV, _read_numeric
from movierec.ingest.movielens.source import _decode, _Source


def _csv_rows(source: _Source, name: str, header: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """The rows of a UTF-8 CSV file after its header is checked, with their line numbers."""
    label = source.label(name)
    text = _decode(source, name, "utf-8").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        found = next(reader, [])
        if [c.strip() for c in found] != list(header):
            raise _fail(label, 1, f"header is {','.join(found)!r}, expected {','.join(header)!r}")
        line = reader.line_num + 1
        for fields in reader:
            if fields:
                if len(fields) != len(header):
                    raise _fail(label, line, f"expected {len(header)} fields, found {len(fields)}")
                yield line, fields
            line = reader.line_num + 1
    except csv.Error as e:
        raise _fail(label, reader.line_num, f"bad CSV: {e}") from e


def _read_csv_release(source: _Source, dataset: str) -> Release:
    source.require(["movies.csv", "ratings.csv"], dataset)
    label = source.label("movies.csv")
    rows: list[dict[str, object]] = []
    for line, (movie_id, title, genres) in _csv_rows(source, "movies.csv", ("movieId", "title", "genres")):
        name, year = _split_title(title)
        rows.append({
            "movieId": _positive_id(label, line, "movieId", movie_id), "title": name, "year": year,
            "genres": _genre_list(genres), "imdbId": None, "tmdbId": None, "releaseDate": None, "_line": line,
        })
    movies = _movies_frame(rows, label)

    if source.has("links.csv"):
        links_label = source.label("links.csv")
        link_rows = []
        for line, (movie_id, imdb, tmdb) in _csv_rows(source, "links.csv", ("movieId", "imdbId", "tmdbId")):
            link_rows.append((
                _positive_id(links_label, line, "movieId", movie_id),
                _int(links_label, line, "imdbId", imdb) if imdb.strip() else None,
                _int(links_label, line, "tmdbId", tmdb) if tmdb.strip() else None,
                line,
            ))
        links = pd.DataFrame(link_rows, columns=["movieId", "imdbId", "tmdbId", "_line"])
        unknown = ~links["movieId"].isin(movies["movieId"])
        if unknown.any():
            row = links[unknown].iloc[0]
            raise _fail(links_label, int(row["_line"]), f"movieId {row['movieId']} is not in movies.csv")
        links = links.drop_duplicates("movieId", keep="last").set_index("movieId")
        movies["imdbId"] = movies["movieId"].map(links["imdbId"]).astype("Int64")
        movies["tmdbId"] = movies["movieId"].map(links["tmdbId"]).astype("Int64")

    ratings = _check_ratings(_read_numeric(source, "ratings.csv", _RATINGS_CSV, header=[c for c, _ in _RATINGS_CSV],
                                           sep=","))

    tags = _empty_tags()
    if source.has("tags.csv"):
        tags_label = source.label("tags.csv")
        tag_rows = [
            (
                _positive_id(tags_label, line, "userId", user),
                _positive_id(tags_label, line, "movieId", movie),
                tag,
                _int(tags_label, line, "timestamp", ts),
                line,
            )
            for line, (user, movie, tag, ts) in _csv_rows(
                source, "tags.csv", ("userId", "movieId", "tag", "timestamp")
            )
        ]
        tags = _tags_frame(tag_rows, tags_label)
    return _assemble(dataset, source, movies, ratings, tags, users=None)
