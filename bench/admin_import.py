"""Peer: offline ``neo4j-admin database import full`` of the same MovieLens release.

The import tool ships in the server jars the local server already resolves
(``neo4j-import-tool``, ``neo4j-command-line``); its entry point there is
``org.neo4j.cli.AdminTool`` (the class ``bin/neo4j-admin`` runs), which needs
``NEO4J_HOME`` and ``NEO4J_CONF``. It reads CSV in its own header format, so the release
is converted first (timed separately, not part of the tool's figure): users from the
ratings/tags, movies with title/year split and links, genres and ``IN_GENRE``, ``RATED``
and ``TAGGED`` with ISO datetimes. The tool builds the store offline, into a fresh home;
the server is then started on it to create the uniqueness constraints (timed: the
store is not usable as movierec's graph without them) and to check the counts.
"""

from __future__ import annotations

import logging
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierec.core.errors import MovierecError
from movierec.ingest.movielens import NO_GENRE, TITLE_YEAR
from movierec.server.local import LocalServer

logger = logging.getLogger(__name__)

ENTRY_POINT = "org.neo4j.cli.AdminTool"
CHUNK = 2_000_000


class AdminImportError(MovierecError):
    """The import tool failed."""


@dataclass(frozen=True)
class ImportFiles:
    """The converted CSV files and the counts they hold."""

    folder: Path
    users: int
    movies: int
    genres: int
    ratings: int
    tags: int
    in_genre: int

    def args(self) -> list[str]:
        f = self.folder
        args = [
            f"--nodes=User={f / 'users.csv'}",
            f"--nodes=Movie={f / 'movies.csv'}",
            f"--nodes=Genre={f / 'genres.csv'}",
            f"--relationships=RATED={f / 'ratings.csv'}",
            f"--relationships=IN_GENRE={f / 'in_genre.csv'}",
        ]
        if (f / "tags.csv").exists():
            args.append(f"--relationships=TAGGED={f / 'tags.csv'}")
        return args


def _iso(seconds: pd.Series) -> np.ndarray:
    text = np.datetime_as_string(seconds.to_numpy(dtype="int64").astype("datetime64[s]"), unit="s")
    return np.char.add(text, "Z")


def convert(release: Path, out: Path) -> ImportFiles:
    """Write the import tool's CSV files for a MovieLens CSV release (ml-latest / ml-25m layout).

    Args:
        release (Path): Folder with ``movies.csv``, ``ratings.csv`` and optionally ``links.csv``, ``tags.csv``.
        out (Path): Folder to write into (created).

    Returns:
        ImportFiles: The files and their counts.
    """
    out.mkdir(parents=True, exist_ok=True)
    movies = pd.read_csv(release / "movies.csv", dtype={"movieId": "int64", "title": "str", "genres": "str"})
    parts = movies["title"].fillna("").str.strip().str.extract(TITLE_YEAR)
    movies["name"] = parts["title"].fillna(movies["title"].fillna("").str.strip())
    movies["year"] = pd.to_numeric(parts["year"], errors="coerce").astype("Int64")
    if (release / "links.csv").exists():
        links = pd.read_csv(release / "links.csv", dtype={"movieId": "int64"})
        movies = movies.merge(links, on="movieId", how="left")
    else:
        movies["imdbId"] = pd.NA
        movies["tmdbId"] = pd.NA
    node_movies = pd.DataFrame({
        "movieId:ID(Movie)": movies["movieId"],
        "title": movies["name"],
        "year:long": movies["year"],
        "imdbId:long": pd.to_numeric(movies["imdbId"], errors="coerce").astype("Int64"),
        "tmdbId:long": pd.to_numeric(movies["tmdbId"], errors="coerce").astype("Int64"),
    })
    node_movies.to_csv(out / "movies.csv", index=False)

    genre_lists = movies["genres"].fillna("").str.split("|")
    pairs = pd.DataFrame({"movieId": movies["movieId"], "genre": genre_lists}).explode("genre")
    pairs = pairs[~pairs["genre"].isin(NO_GENRE | {""})]
    genres = sorted(pairs["genre"].unique())
    # --id-type=integer holds for every ID space: genres get numbers, their names are a property
    pd.DataFrame({":ID(Genre)": range(len(genres)), "name": genres}).to_csv(out / "genres.csv", index=False)
    genre_index = {name: i for i, name in enumerate(genres)}
    pd.DataFrame({":START_ID(Movie)": pairs["movieId"], ":END_ID(Genre)": pairs["genre"].map(genre_index)}).to_csv(
        out / "in_genre.csv", index=False
    )

    users: set[int] = set()
    n_ratings = 0
    with open(out / "ratings.csv", "w") as f:
        f.write(":START_ID(User),:END_ID(Movie),rating:float,timestamp:datetime\n")
        for chunk in pd.read_csv(release / "ratings.csv", chunksize=CHUNK,
                                 dtype={"userId": "int64", "movieId": "int64", "rating": "float64",
                                        "timestamp": "int64"}):
            users.update(chunk["userId"].unique().tolist())
            chunk["timestamp"] = _iso(chunk["timestamp"])
            chunk.to_csv(f, index=False, header=False)
            n_ratings += len(chunk)
    n_tags = 0
    if (release / "tags.csv").exists():
        tags = pd.read_csv(release / "tags.csv", dtype={"userId": "int64", "movieId": "int64", "tag": "str",
                                                         "timestamp": "int64"}, keep_default_na=False)
        users.update(tags["userId"].unique().tolist())
        tags["timestamp"] = _iso(tags["timestamp"])
        tags.columns = [":START_ID(User)", ":END_ID(Movie)", "tag", "timestamp:datetime"]
        tags.to_csv(out / "tags.csv", index=False)
        n_tags = len(tags)
    pd.DataFrame({"userId:ID(User)": sorted(users)}).to_csv(out / "users.csv", index=False)
    return ImportFiles(folder=out, users=len(users), movies=len(movies), genres=len(genres),
                       ratings=n_ratings, tags=n_tags, in_genre=len(pairs))


def run_import(server: LocalServer, files: ImportFiles, max_off_heap: str = "3G") -> dict[str, Any]:
    """Run ``neo4j-admin database import full`` into ``server``'s (stopped, fresh) home.

    Args:
        server (LocalServer): The home to import into; must not be running.
        files (ImportFiles): From :func:`convert`.
        max_off_heap (str): The tool's ``--max-off-heap-memory``. (default: ``"3G"``)

    Returns:
        dict: ``seconds`` (the tool's wall time, JVM start included), ``nodes``, ``relationships``
        and ``properties`` as the tool reports them, and ``log`` (its output's tail).

    Raises:
        AdminImportError: If the tool exits with an error.
    """
    import os

    conf = server.write_config()
    lib = server.lib_dir()
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(conf.parent)}
    cmd = [
        "java", "-Xmx1g", "-XX:+UseG1GC",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "-cp", f"{lib}/*", ENTRY_POINT,
        # the database name goes first: the file lists of --nodes/--relationships take every later word
        "database", "import", "full", "neo4j", "--overwrite-destination=true", "--id-type=integer",
        f"--max-off-heap-memory={max_off_heap}", f"--report-file={server.home / 'import.report'}",
        *files.args(),
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=server.home, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-20:])
        raise AdminImportError(f"neo4j-admin database import failed (exit {proc.returncode}):\n{tail}")
    counts: dict[str, Any] = {"seconds": seconds, "log": "\n".join(output.splitlines()[-12:])}
    for key in ("nodes", "relationships", "properties"):
        match = re.search(rf"(\d[\d,]*) {key}", output)
        counts[key] = int(match.group(1).replace(",", "")) if match else None
    return counts


def set_initial_password(server: LocalServer, password: str) -> None:
    """``neo4j-admin dbms set-initial-password`` on a home that has never been started."""
    import os

    conf = server.write_config()
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(conf.parent)}
    cmd = ["java", "-Xmx256m", "-cp", f"{server.lib_dir()}/*", ENTRY_POINT,
           "dbms", "set-initial-password", password]
    proc = subprocess.run(cmd, env=env, cwd=server.home, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AdminImportError(f"set-initial-password failed: {(proc.stdout + proc.stderr).strip()[-500:]}")
    server.password_file.write_text(password + "\n")
    server.password_file.chmod(0o600)
