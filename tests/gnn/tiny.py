"""A tiny MovieLens-shaped graph, created with Cypher in the fixed graph model, and the same as arrays.

12 users × 15 movies, 96 ratings (half stars, every user 8), 4 genres, years 1990-2004 with
one unknown year, timestamps one hour apart. Deterministic: rating(u, m) depends on (u, m) only.
"""

from __future__ import annotations

from typing import Any

from movierec.core.db import Graph

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


def create(graph: Graph) -> None:
    """Write the tiny graph (graph model of the brief) into an empty database."""
    graph.write("UNWIND $names AS name CREATE (:Genre {name: name})", names=GENRES)
    graph.write(
        "UNWIND $rows AS row CREATE (m:Movie {movieId: row.movieId, title: row.title}) "
        "SET m.year = row.year "
        "WITH m, row UNWIND row.genres AS g MATCH (genre:Genre {name: g}) CREATE (m)-[:IN_GENRE]->(genre)",
        rows=movies(),
    )
    graph.write("UNWIND range(1, 12) AS id CREATE (:User {userId: id})")
    graph.write(
        "UNWIND $rows AS row MATCH (u:User {userId: row.userId}), (m:Movie {movieId: row.movieId}) "
        "CREATE (u)-[:RATED {rating: row.rating, timestamp: datetime({epochSeconds: row.ts})}]->(m)",
        rows=ratings(),
    )
