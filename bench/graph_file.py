"""A release's ratings as an exported-graph file, without Neo4j: ``python -m bench.graph_file RELEASE OUT.pt``.

For timing training at scales where loading Neo4j first would take most of the session (the 25M synthetic
release ingests in about 18 minutes here): the release is read and validated by ingest's reader and
assembled by the exporter's own :func:`~movierec.gnn.data.export.build_heterodata`, so ``movierec train --data
OUT.pt`` sees what ``movierec export`` would have written (ids, ratings, timestamps, genres, titles).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from movierec.gnn.data.export import build_heterodata, save_heterodata
from movierec.gnn.data.hetero import MOVIE, RATES
from movierec.ingest.movielens import read_release

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData


def release_graph(release: Path) -> HeteroData:
    """A MovieLens release as the exporter's graph (ids, ratings, timestamps, genres, titles), without Neo4j."""
    r = read_release(Path(release))
    movies = r.movies
    years = [None if pd.isna(y) else int(y) for y in movies["year"].tolist()]
    return build_heterodata(
        user_ids=r.ratings["userId"].unique(), movie_ids=movies["movieId"].to_numpy(),
        rating_user=r.ratings["userId"].to_numpy(), rating_movie=r.ratings["movieId"].to_numpy(),
        rating=r.ratings["rating"].to_numpy(), timestamp=r.ratings["timestamp"].to_numpy(),
        movie_years=years, movie_genres=movies["genres"].tolist(), movie_titles=movies["title"].tolist(),
    )


def main(release: str, out: str) -> None:
    started = time.perf_counter()
    data = release_graph(Path(release))
    save_heterodata(data, out)
    print(f"{data[RATES].num_edges:,} ratings, {data[MOVIE].num_nodes:,} movies -> {out} in "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(*sys.argv[1:3])
