"""Reading every MovieLens format from tiny fixtures, and rejecting bad input with file and line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from movierec.core.errors import IngestError
from movierec.ingest.movielens import LineError, _split_title, detect_dataset, read_ratings_file, read_release
from tests.ingest.releases import csv_release, ml1m_release, ml10m_release, ml100k_release, zip_release


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("Toy Story (1995)", "Toy Story", 1995),
        ("Toy Story (1995) ", "Toy Story", 1995),
        ("City of Lost Children, The (Cité des enfants perdus, La) (1995)",
         "City of Lost Children, The (Cité des enfants perdus, La)", 1995),
        ("Babylon 5", "Babylon 5", None),
        ("Death Note: Desu nôto (2006–2007)", "Death Note: Desu nôto", 2006),
        ("Fawlty Towers (1975-1979)", "Fawlty Towers", 1975),
        ("1984 (1984)", "1984", 1984),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009),
        ("(2019)", "(2019)", None),
    ],
)
def test_split_title(raw: str, title: str, year: int | None) -> None:
    assert _split_title(raw) == (title, year)


def test_csv_release(tmp_path: Path) -> None:
    release = read_release(csv_release(tmp_path / "ml-latest-small"))
    assert release.dataset == "ml-latest-small"
    movies = release.movies.set_index("movieId")
    assert movies.loc[11, "title"] == "American President, The"
    assert movies.loc[29, "title"] == "City of Lost Children, The (Cité des enfants perdus, La)"
    assert movies.loc[1, "genres"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    assert movies.loc[171891, "genres"] == []
    assert movies.loc[171891, "year"] == 2006
    assert movies.loc[40697, "year"] is pd_na()
    assert int(str(movies.loc[1, "imdbId"])) == 114709
    assert movies.loc[29, "tmdbId"] is pd_na()
    assert release.ratings["rating"].tolist() == [4.0, 3.5, 0.5, 5.0, 2.5]
    assert release.ratings["timestamp"].tolist()[0] == 964982703
    assert release.tags["tag"].tolist() == ["funny", 'dark, "weird"', "Pixar"]
    assert release.users["userId"].tolist() == [1, 2, 3, 4]
    assert release.genres == [
        "Adventure", "Animation", "Children", "Comedy", "Drama", "Fantasy", "Mystery", "Romance", "Sci-Fi",
    ]
    assert not release.has_demographics


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_ml100k_latin1_flags_dates_demographics(tmp_path: Path) -> None:
    path = ml100k_release(tmp_path / "ml-100k")
    assert detect_dataset(path) == "ml-100k"
    release = read_release(path)
    movies = release.movies.set_index("movieId")
    assert movies.loc[1, "title"] == "Toy Story"
    assert movies.loc[1, "genres"] == ["Animation", "Children's", "Comedy"]
    assert movies.loc[1, "releaseDate"] == "1995-01-01"
    assert movies.loc[2, "title"] == "Café au lait"
    assert movies.loc[2, "genres"] == ["Drama"]
    assert movies.loc[267, "title"] == "unknown"
    assert movies.loc[267, "genres"] == []
    assert movies.loc[267, "releaseDate"] is None
    assert release.ratings[["userId", "movieId", "rating"]].values.tolist() == [[196, 1, 3], [186, 2, 5], [196, 267, 1]]
    users = release.users.set_index("userId")
    assert list(users.loc[196, ["gender", "age", "occupation", "zip"]]) == ["M", 49, "writer", "55105"]
    assert release.has_demographics
    assert len(release.tags) == 0


def test_ml1m_double_colon_latin1_and_occupation_codes(tmp_path: Path) -> None:
    path = ml1m_release(tmp_path / "whatever")
    assert detect_dataset(path) == "ml-1m"
    release = read_release(path)
    movies = release.movies.set_index("movieId")
    assert movies.loc[2, "title"] == "Cité des enfants perdus, La"
    assert movies.loc[3, "title"] == "Star Wars: Episode IV - A New Hope"
    assert movies.loc[3, "year"] == 1977
    assert release.ratings.values.tolist() == [[1, 1, 5, 978300760], [1, 3, 3, 978302109], [2, 2, 4, 978301968]]
    users = release.users.set_index("userId")
    assert list(users.loc[1, ["gender", "age", "occupation", "zip"]]) == ["F", 1, "K-12 student", "48067"]
    assert users.loc[2, "occupation"] == "self-employed"


def test_ml10m_half_stars_tags_no_users_file(tmp_path: Path) -> None:
    path = ml10m_release(tmp_path / "ml-10M100K")
    assert detect_dataset(path) == "ml-10m"
    release = read_release(path)
    assert release.ratings["rating"].tolist() == [5.0, 3.5, 0.5]
    assert release.movies.set_index("movieId").loc[65130, "genres"] == []
    assert release.tags["tag"].tolist() == ["excellent! :: really", "Steve Martin"]
    assert release.users["userId"].tolist() == [1, 7, 15, 20]
    assert not release.has_demographics


def test_zip_with_top_folder_is_detected_by_name(tmp_path: Path) -> None:
    archive = zip_release(csv_release(tmp_path / "src"), tmp_path / "ml-25m.zip", top="ml-25m")
    assert detect_dataset(archive) == "ml-25m"
    release = read_release(archive)
    assert release.dataset == "ml-25m"
    assert len(release.ratings) == 5
    flat = zip_release(ml1m_release(tmp_path / "flat"), tmp_path / "flat.zip", top="")
    assert read_release(flat).dataset == "ml-1m"


def test_csv_under_an_unknown_name_is_ml_latest(tmp_path: Path) -> None:
    assert detect_dataset(csv_release(tmp_path / "mine")) == "ml-latest"


def _error(path: Path) -> str:
    with pytest.raises(IngestError) as info:
        read_release(path)
    return str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = csv_release(tmp_path / "r")
    (path / "ratings.csv").unlink()
    assert _error(path) == (
        f"{path}: missing ratings.csv (needed by the ml-latest format; found: links.csv, movies.csv, tags.csv)"
    )


def test_not_a_release(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hi")
    assert "not a MovieLens release" in _error(tmp_path)
    assert _error(tmp_path / "nope") == f"{tmp_path / 'nope'}: no such file or directory"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ratings.csv", "userId,movieId,score,timestamp\n1,1,4.0,1\n",
         "ratings.csv line 1: header is 'userId,movieId,score,timestamp', expected 'userId,movieId,rating,timestamp'"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,four,964981247\n",
         "ratings.csv line 3: rating 'four' is not a number"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,5.5,964981247\n",
         "ratings.csv line 3: rating 5.5 is out of range (expected 0.5 to 5 in half stars)"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,3.7,964982703\n",
         "ratings.csv line 2: rating 3.7 is out of range (expected 0.5 to 5 in half stars)"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,4.0\n",
         "ratings.csv line 3: expected 4 fields, found 3"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,999,4.0,964982703\n",
         "ratings.csv line 3: movieId 999 is not in movies.csv"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,1,3.0,964982704\n",
         "ratings.csv line 3: user 1 rated movie 1 twice (also line 2)"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n0,1,4.0,964982703\n",
         "ratings.csv line 2: userId 0 is not positive"),
        ("movies.csv", b"movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Caf\xe9 (1995),Drama\n",
         "movies.csv line 3: not valid UTF-8 (byte 0xe9)"),
        ("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n1,Again (1995),Drama\n",
         "movies.csv line 3: movieId 1 appears twice (also line 2)"),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,29,funny,1445714994\n2,12345,x,1445714994\n",
         "tags.csv line 3: movieId 12345 is not in movies.csv"),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,29,funny,soon\n",
         "tags.csv line 2: timestamp 'soon' is not an integer"),
        ("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n77,1,2\n",
         "links.csv line 3: movieId 77 is not in movies.csv"),
    ],
)
def test_bad_csv_input_names_file_and_line(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = csv_release(tmp_path / "r", **{name.replace(".", "_"): content})
    assert _error(path) == message


def test_bad_dat_and_100k_lines(tmp_path: Path) -> None:
    path = ml1m_release(tmp_path / "a")
    (path / "ratings.dat").write_text("1::1::5::978300760\n1::3::x::978302109\n")
    assert _error(path) == "ratings.dat line 2: rating 'x' is not a number"
    (path / "ratings.dat").write_text("1::1::5::978300760\n1::3::3\n")
    assert _error(path) == "ratings.dat line 2: expected 4 fields, found 3"
    (path / "ratings.dat").write_text("1::1::5::978300760\n9::3::3::1\n")
    assert _error(path) == "ratings.dat line 2: userId 9 is not in users.dat"
    path = ml100k_release(tmp_path / "b")
    (path / "u.data").write_text("196\t1\t3\t881250949\n186\t2\t6\t891717742\n")
    assert _error(path) == "u.data line 2: rating 6 is out of range (expected 0.5 to 5 in half stars)"


def test_truncated_zip(tmp_path: Path) -> None:
    archive = zip_release(csv_release(tmp_path / "src"), tmp_path / "ml-latest-small.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    message = _error(archive)
    assert message.startswith(f"{archive}: not a readable zip archive (truncated or corrupt?)")


def test_corrupt_member_in_zip(tmp_path: Path) -> None:
    archive = tmp_path / "ml-latest-small.zip"
    zip_release(csv_release(tmp_path / "src"), archive)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("src/ratings.csv")
    start = info.header_offset + 30 + len(info.filename) + 5
    data[start : start + 8] = b"\x00" * 8
    archive.write_bytes(bytes(data))
    assert _error(archive).startswith("ml-latest-small.zip:src/ratings.csv")


def test_no_ratings_and_windows_line_endings(tmp_path: Path) -> None:
    path = csv_release(tmp_path / "r", ratings_csv="userId,movieId,rating,timestamp\n")
    assert _error(path) == "ratings.csv: has no ratings"
    crlf = csv_release(tmp_path / "crlf", ratings_csv="\ufeffuserId,movieId,rating,timestamp\r\n1,1,4.5,1\r\n",
                       movies_csv="movieId,title,genres\r\n1,\"Toy Story, The (1995)\",Comedy\r\n",
                       tags_csv="userId,movieId,tag,timestamp\r\n", links_csv="movieId,imdbId,tmdbId\r\n")
    release = read_release(crlf)
    assert release.ratings.values.tolist() == [[1, 1, 4.5, 1]]
    assert release.movies["title"].tolist() == ["Toy Story, The"]
    assert len(release.tags) == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("u1.test", "196\t1\t3\t881250949\n186\t2\t4.5\t891717742\n\n"),
        ("ratings.dat", "1::1::5::978300760\n186::2::4.5::891717742\n"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n196,1,3.0,881250949\n186,2,4.5,891717742\n"),
    ],
)
def test_read_ratings_file_in_every_format(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    ratings = read_ratings_file(path)
    assert ratings.columns.tolist() == ["userId", "movieId", "rating", "timestamp"]
    assert [str(t) for t in ratings.dtypes] == ["int64", "int64", "float64", "int64"]
    assert ratings["movieId"].tolist() == [1, 2]
    assert ratings["rating"].tolist()[1] == 4.5
    assert ratings["timestamp"].tolist()[1] == 891717742


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("u1.test", "196\t1\t3\t881250949\n186\t2\t6\t891717742\n", 2,
         "u1.test line 2: rating 6 is out of range (expected 0.5 to 5 in half stars)"),
        ("ratings.dat", "1::1::5::978300760\n2::x::3::978302109\n", 2,
         "ratings.dat line 2: movieId 'x' is not an integer"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,4.0\n", 3,
         "ratings.csv line 3: expected 4 fields, found 3"),
        ("ratings.csv", "user,movie,rating,timestamp\n1,1,4.0,964982703\n", 1,
         "ratings.csv line 1: header is 'user,movie,rating,timestamp', expected 'userId,movieId,rating,timestamp'"),
        ("u.data", "\n\n", None, "u.data: has no ratings"),
    ],
)
def test_read_ratings_file_names_file_and_line(
    tmp_path: Path, name: str, content: str, line: int | None, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LineError) as info:
        read_ratings_file(path)
    assert str(info.value) == message
    assert (info.value.label, info.value.line) == (name, line)
    assert isinstance(info.value, IngestError)


def test_read_ratings_file_missing(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        read_ratings_file(tmp_path / "u1.test")
