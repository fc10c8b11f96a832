"""A tiny MovieLens-shaped graph, loaded through `movierec ingest` from release files, and the same as arrays.

12 users × 15 movies, 96 ratings (half stars, every user 8), 4 genres, years 1990-2004 with
one unknown year, timestamps one hour apart. Deterministic: rating(u, m) depends on (u, m) only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from torch_geometric.data import HeteroData

from movierec.core.db import Graph
from movierec.gnn.data.export import build_heterodata
from movierec.ingest.load import ingest_release

GENRES = ["Action", "Comedy", "Drama", "Sci-Fi"]
T0 = 1_500_000_000  # 2017-07-14T02:40:00Z


def movies() -> list[dict[str, Any]]:
    out = []
    for m in range(1, 16):
        year = None if m == 15 else 1989 + m  # 1990..2003, one unknown
        genres = [GENRES[m % 4]] + ([GENRES[(m + 1) % 4]] if m % 3 == 0 else [])
        out.append({"movieId": 100 + m, "title": f"Movie {m}", "year": year, "genres": genres})
    return out


def ratings() -> list[dict[str, Any]]:
    out = []
    n = 0
    for u in range(1, 13):
        for j in range(8):
            m = (u * 3 + j * 2) % 15 + 1
            rating = 0.5 + ((u * 7 + m * 5) % 10) * 0.5
            out.append({"userId": u, "movieId": 100 + m, "rating": rating, "ts": T0 + n * 3600})
            n += 1
    return out


def write_release(folder: Path) -> Path:
    """The tiny graph as an ml-latest-small release (``movies.csv``, ``ratings.csv``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    movie_lines = ["movieId,title,genres"]
    for m in movies():
        title = m["title"] if m["year"] is None else f"{m['title']} ({m['year']})"
        movie_lines.append(f"{m['movieId']},{title},{'|'.join(m['genres'])}")
    rating_lines = ["userId,movieId,rating,timestamp"]
    rating_lines += [f"{r['userId']},{r['movieId']},{r['rating']},{r['ts']}" for r in ratings()]
    (folder / "movies.csv").write_text("\n".join(movie_lines) + "\n", encoding="utf-8")
    (folder / "ratings.csv").write_text("\n".join(rating_lines) + "\n", encoding="utf-8")
    return folder


def create(graph: Graph) -> None:
    """Load the tiny graph into an empty database through movierec's own ingest."""
    with tempfile.TemporaryDirectory() as tmp:
        ingest_release(graph, write_release(Path(tmp) / "ml-latest-small"))


def tiny_data() -> HeteroData:
    rows, films = ratings(), movies()
    return build_heterodata(
        user_ids=np.arange(1, 13), movie_ids=np.array([m["movieId"] for m in films]),
        rating_user=np.array([r["userId"] for r in rows]), rating_movie=np.array([r["movieId"] for r in rows]),
        rating=np.array([r["rating"] for r in rows]), timestamp=np.array([r["ts"] for r in rows]),
        movie_years=[m["year"] for m in films], movie_genres=[m["genres"] for m in films], genres=GENRES,
    )
