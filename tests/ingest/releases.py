"""Tiny MovieLens releases in every format, written by the tests themselves (no MovieLens files in the repo)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from movierec.core.db import Graph
from movierec.ingest.movielens import Release

CSV_MOVIES = (
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
    '11,"American President, The (1995)",Comedy|Drama|Romance\n'
    '29,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Adventure|Drama|Fantasy|Mystery|Sci-Fi\n'
    "40697,Babylon 5,Sci-Fi\n"
    "171891,Death Note: Desu nôto (2006–2007),(no genres listed)\n"
)
CSV_RATINGS = (
    "userId,movieId,rating,timestamp\n"
    "1,1,4.0,964982703\n"
    "1,11,3.5,964981247\n"
    "2,29,0.5,964982224\n"
    "2,40697,5.0,964983815\n"
    "3,171891,2.5,1445714994\n"
)
CSV_TAGS = (
    "userId,movieId,tag,timestamp\n"
    "2,29,funny,1445714994\n"
    '2,29,"dark, ""weird""",1445714996\n'
    "4,1,Pixar,1445715000\n"
)
CSV_LINKS = "movieId,imdbId,tmdbId\n1,0114709,862\n11,0112346,9087\n29,0112682,\n40697,0105946,\n171891,0877057,13916\n"


def write(path: Path, files: dict[str, str | bytes]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (path / name).write_bytes(data)
    return path


def csv_release(path: Path, **overrides: str | bytes) -> Path:
    files: dict[str, str | bytes] = {
        "movies.csv": CSV_MOVIES, "ratings.csv": CSV_RATINGS, "tags.csv": CSV_TAGS, "links.csv": CSV_LINKS,
    }
    files.update({name.replace("_", "."): value for name, value in overrides.items()})
    return write(path, files)


def ml100k_release(path: Path) -> Path:
    flags = ["0"] * 19
    toy = flags.copy()
    for i in (3, 4, 5):  # Animation, Children's, Comedy
        toy[i] = "1"
    unknown = flags.copy()
    unknown[0] = "1"
    item = (
        "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|" + "|".join(toy) + "\n"
        "2|Café au lait (1993)|01-Jan-1993||http://x|" + "|".join(flags[:8] + ["1"] + flags[9:]) + "\n"
        "267|unknown||||" + "|".join(unknown) + "\n"
    )
    genre = "".join(f"{g}|{i}\n" for i, g in enumerate((
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
        "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ))) + "\n"
    return write(path, {
        "u.data": "196\t1\t3\t881250949\n186\t2\t5\t891717742\n196\t267\t1\t878887116\n",
        "u.item": item.encode("latin-1"),
        "u.user": "196|49|M|writer|55105\n186|39|F|executive|00000\n",
        "u.genre": genre,
    })


def ml1m_release(path: Path) -> Path:
    return write(path, {
        "movies.dat": "1::Toy Story (1995)::Animation|Children's|Comedy\n"
                      "2::Cité des enfants perdus, La (1995)::Adventure|Sci-Fi\n"
                      "3::Star Wars: Episode IV - A New Hope (1977)::Action|Sci-Fi\n".encode("latin-1"),
        "ratings.dat": "1::1::5::978300760\n1::3::3::978302109\n2::2::4::978301968\n",
        "users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n",
    })


def ml10m_release(path: Path) -> Path:
    return write(path, {
        "movies.dat": "1::Toy Story (1995)::Adventure|Animation|Children|Comedy|Fantasy\n"
                      "5::Father of the Bride Part II (1995)::Comedy\n"
                      "65130::Revolutionary Road (2008)::(no genres listed)\n",
        "ratings.dat": "1::1::5::838985046\n1::5::3.5::838983525\n7::65130::0.5::1230000000\n",
        "tags.dat": "15::1::excellent! :: really::1215184630\n20::5::Steve Martin::1188263867\n",
    })


def zip_release(folder: Path, archive: Path, top: str | None = None) -> Path:
    top = top if top is not None else folder.name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(folder.iterdir()):
            z.write(file, f"{top}/{file.name}" if top else file.name)
    return archive


def assert_loaded(graph: Graph, release: Release, ratings: int) -> None:
    """The graph holds exactly ``release``: its users, movies, genres, ``ratings`` RATED, tags and genre links."""
    counts = graph.read(
        "RETURN COUNT { (:User) } AS users, COUNT { (:Movie) } AS movies, COUNT { (:Genre) } AS genres, "
        "COUNT { ()-[:RATED]->() } AS rated, COUNT { ()-[:TAGGED]->() } AS tagged, "
        "COUNT { ()-[:IN_GENRE]->() } AS in_genre"
    )[0]
    assert dict(counts) == {
        "users": len(release.users), "movies": len(release.movies), "genres": len(release.genres),
        "rated": ratings, "tagged": len(release.tags), "in_genre": int(release.movies["genres"].map(len).sum()),
    }
