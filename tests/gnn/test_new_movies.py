"""The movies the active run has no place for (``gnn/serving/new_movies.py``): read from a real Neo4j, folded into
a real trained run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from click.testing import CliRunner

from bench.graph_file import release_graph
from movierec import cypher
from movierec.cli import cli
from movierec.core.db import Graph
from movierec.gnn.data.export import save_heterodata
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.movie_foldin import Catalogue
from movierec.gnn.serving.new_movies import (
    FoldedMovies,
    NewMovie,
    fold_new_movies,
    read_new_movies,
    write_folded_movies,
)
from movierec.gnn.serving.refresh import ActiveFoldIn, refresh_movies
from movierec.gnn.serving.similar import GENRE_WEIGHT, similar_movies
from movierec.gnn.training.run_dir import TrainedRun, load_run
from tests.fixtures import ANIMATION, HORROR, make_graph, two_communities


def test_movies_without_an_embedding_come_back_with_their_content_and_ratings(graph: Graph) -> None:
    pairs = make_graph(graph, n_users=6, n_movies=8)
    # the run's writeback gave movies 1000..1005 an embedding; 1006, 1007 came later, and one is created in Cypher
    graph.write("MATCH (m:Movie) WHERE m.movieId < 1006 SET m.embedding = [0.1, 0.2]")
    graph.write("CREATE (:Movie {movieId: 2000000, title: 'Made in Cypher'})")
    new = read_new_movies(graph)
    assert [m.movie_id for m in new] == [1006, 1007, 2000000]
    for movie in new[:2]:
        assert movie.title == f"Movie {movie.movie_id}" and movie.year == 2000
        assert movie.genres == frozenset({"Comedy" if movie.movie_id % 2 == 0 else "Drama"})
        assert movie.user_ids == sorted(u for u, m in pairs if m == movie.movie_id)
        assert movie.ratings == [4.0] * len(movie.user_ids)
    made = new[2]  # no genres, no ratings: a defined answer, empty
    assert (made.title, made.year, made.genres, made.user_ids, made.ratings) == ("Made in Cypher", None, frozenset(),
                                                                                 [], [])
    assert [m.movie_id for m in read_new_movies(graph, limit=1)] == [1006]
    with pytest.raises(ValueError, match="at least 1"):
        read_new_movies(graph, limit=0)


@pytest.fixture(scope="module")
def tiny_default_run(tmp_path_factory: pytest.TempPathFactory) -> TrainedRun:
    """The default run (combined: lightgcn ranks, gcmc rates and embeds) trained on two communities, 2 epochs."""
    tmp = tmp_path_factory.mktemp("run")
    graph_file = tmp / "graph.pt"
    save_heterodata(release_graph(two_communities(tmp / "release")), graph_file)
    trained = CliRunner().invoke(cli, ["train", "--data", str(graph_file), "--epochs", "2", "--device", "cpu",
                                       "--runs-dir", str(tmp / "runs"), "-q"])
    assert trained.exit_code == 0, trained.output
    (path,) = (tmp / "runs").iterdir()
    return load_run(path)


def catalogue_of(run: TrainedRun) -> Catalogue:
    genres = [frozenset({"Animation", "Children"}) if m in ANIMATION else frozenset({"Horror", "Thriller"})
              for m in run.movie_ids]
    popularity = torch.bincount(run.split()[0][1], minlength=len(run.movie_ids))
    return Catalogue.build(genres, torch.zeros(len(genres), dtype=torch.long), popularity, popularity > 0)


def test_a_new_cartoon_rated_by_cartoon_fans_gets_a_place_among_the_cartoons(tiny_default_run: TrainedRun) -> None:
    run = tiny_default_run
    fans = [1, 2, 3, 4]  # users 1-6 rate only animation (tests/fixtures.py)
    cartoon = NewMovie(9_000_001, "A New Cartoon", 2024, frozenset({"Animation", "Children"}), fans, [5.0] * 4)
    bare = NewMovie(9_000_002, "Nothing Known", None)
    stranger = NewMovie(9_000_003, "Rated By Nobody We Know", 2024, frozenset({"Horror"}), [77], [4.0])
    folded = fold_new_movies(run, catalogue_of(run), [cartoon, bare, stranger], k=4)
    assert folded.movie_ids == [9_000_001, 9_000_002, 9_000_003] and folded.known_ratings == [4, 0, 0]
    # fewer than 20 ratings: SIMILAR are the movies nearest its embedding (cosine), mostly cartoons
    assert len(folded.similar[0]) == 4 and sum(m in ANIMATION for m, _ in folded.similar[0][:3]) == 3
    # only ratings by users the run never saw: its content, horror; nothing known at all: still four movies
    assert {m for m, _ in folded.similar[2]} <= set(HORROR) and len(folded.similar[1]) == 4
    for rows in folded.similar:
        scores = [s for _, s in rows]
        assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    # with enough ratings, the run's co-rating measure n_hj / (n_j + 10) (times the genre factor, 1 for a movie of
    # the cartoon's own genres, as the best is): the movies its raters rated
    by_ratings = fold_new_movies(run, catalogue_of(run), [cartoon], k=4, min_ratings=3).similar[0]
    edge_index = run.split()[0]
    rated = {run.movie_ids[m] for u, m in edge_index.t().tolist() if run.user_ids[u] in fans}
    assert {m for m, _ in by_ratings} <= rated and {m for m, _ in by_ratings} <= set(ANIMATION)
    popularity = torch.bincount(edge_index[1], minlength=len(run.movie_ids))
    best_id, best_score = by_ratings[0]
    best = run.movie_ids.index(best_id)
    co = sum(1 for u, m in edge_index.t().tolist() if m == best and run.user_ids[u] in fans)
    assert best_score == pytest.approx(co / (int(popularity[best]) + 10))
    # the lists it may enter: the movies its raters rated, at n_ih / (n_h + 10); none without known ratings
    into = dict(folded.incoming[0])
    assert set(into) <= rated and into[best_id] == pytest.approx(co / (4 + 10))
    assert folded.incoming[1] == [] and folded.incoming[2] == []
    _, movie_embedding = run.embeddings()
    assert folded.embeddings.shape == (3, movie_embedding.shape[1])
    assert folded.rating_factors.shape == (3, run.rating_scorer.movie.shape[1])
    rank = run.rank_scorer
    assert isinstance(rank, LinearScorer)
    assert folded.rank_vectors.shape == (3, rank.movie.shape[1])
    assert torch.isfinite(folded.rank_vectors).all() and torch.isfinite(folded.rating_bias).all()
    # the ranker places the cartoon nearer the cartoons than the horror films, for a cartoon fan
    fan = rank.user[run.user_ids.index(5)]
    cartoon_score = float(fan @ folded.rank_vectors[0] + folded.rank_bias[0])
    horror = [i for i, m in enumerate(run.movie_ids) if m in HORROR]
    assert cartoon_score > max(float(fan @ rank.movie[i] + rank.movie_bias[i]) for i in horror)


RATE = """
MERGE (u:User {userId: $userId})
WITH u MATCH (m:Movie {movieId: $movieId})
MERGE (u)-[r:RATED]->(m)
SET r.rating = $rating, r.timestamp = datetime()
"""


def test_refresh_folds_a_new_cartoon_into_the_active_run(graph: Graph, neo4j_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    release = two_communities(tmp_path / "release")
    args = ["pipeline", "--path", str(release), "--k", "4", "--runs-dir", str(tmp_path / "runs"),
            "--sample-users", "1", "--device", "cpu", "-q"]
    result = CliRunner().invoke(cli, args, env=neo4j_env)
    assert result.exit_code == 0, result.output
    # a movie created in Cypher after the run, rated by four of the cartoon fans
    graph.write("CREATE (m:Movie {movieId: 424242, title: 'A New Cartoon', year: 2025}) WITH m "
                "MATCH (g:Genre) WHERE g.name IN ['Animation', 'Children'] CREATE (m)-[:IN_GENRE]->(g)")
    for user in (1, 2, 3, 4):
        graph.write(RATE, userId=user, movieId=424242, rating=5.0)
    refreshed = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert refreshed.exit_code == 0, refreshed.output
    assert "folded in 1 new movies" in refreshed.output
    (movie,) = graph.read("MATCH (run:ModelRun {active: true}) MATCH (m:Movie {movieId: 424242}) "
                          "RETURN size(m.embedding) AS dims, m.ratingBias AS bias, size(m.ratingFactors) AS factors, "
                          "m.foldedRunId = run.runId AS underActive, m.foldedRatings AS known, run.similarK AS k, "
                          "COUNT { (m)-[s:SIMILAR {runId: run.runId}]->() } AS similar")
    indexed = {r["name"]: r["dimensions"] for r in graph.read(cypher.load("show_vector_indexes"))}
    assert movie["dims"] == indexed["movie_embedding"] and movie["factors"] > 0 and movie["bias"] is not None
    assert movie["underActive"] and movie["known"] == 4
    assert movie["similar"] == min(movie["k"], 12)  # every one of the run's 12 movies is a candidate
    # the other direction: every list of the run is what a recompute over the run's ratings and the new ones gives
    fold, _ = ActiveFoldIn(graph).get()
    run = fold.run
    users = torch.tensor([run.user_ids.index(u) for u in (1, 2, 3, 4)])
    edges = torch.cat([run.split()[0], torch.stack([users, torch.full_like(users, len(run.movie_ids))])], dim=1)
    ids = [*run.movie_ids, 424242]
    # the run's measure counts genres (the cartoon shares its two with the run's cartoons): the same recompute
    assert run.similar_genre_weight() == GENRE_WEIGHT
    named = {r["id"]: set(r["genres"]) for r in graph.read(
        "MATCH (m:Movie)-[:IN_GENRE]->(g:Genre) WHERE m.movieId IN $ids RETURN m.movieId AS id, "
        "collect(g.name) AS genres", ids=ids)}
    vocabulary = sorted(set().union(*named.values()))
    onehots = torch.tensor([[float(g in named.get(m, set())) for g in vocabulary] for m in ids])
    expected_movies, expected_scores = similar_movies(edges, len(run.user_ids), len(ids), k=movie["k"],
                                                      genres=onehots)
    lists = similar_lists(graph, run.run_id)
    for i, movie_id in enumerate(run.movie_ids):
        want = [(ids[j], s) for j, s in zip(expected_movies[i].tolist(), expected_scores[i].tolist(), strict=True)
                if j >= 0]
        assert [o for o, _, _ in lists[movie_id]] == [o for o, _ in want], movie_id
        assert [s for _, s, _ in lists[movie_id]] == pytest.approx([s for _, s in want], abs=1e-6)
        assert [r for _, _, r in lists[movie_id]] == list(range(1, len(want) + 1))
    assert sum(424242 in [o for o, _, _ in rows] for rows in lists.values()) >= 4  # it entered some lists
    listed = CliRunner().invoke(cli, ["similar", "--movie", "424242", "--k", "4", "--format", "json"], env=neo4j_env)
    assert listed.exit_code == 0, listed.output
    near = [r["movieId"] for r in json.loads(listed.output)["similar"]]
    assert len(near) == 4 and sum(m in ANIMATION for m in near) >= 3, listed.output
    # users can be recommended it: fold-in scoring (recommend --fresh, refresh) ranks it, for a cartoon fan who has
    # not rated it above every horror film; the service reloads the folds when the run's count of them changes
    fresh = CliRunner().invoke(cli, ["recommend", "--user", "5", "--fresh", "--k", "12", "--format", "json"],
                               env=neo4j_env)
    assert fresh.exit_code == 0, fresh.output
    ranked = [r["movieId"] for r in json.loads(fresh.output)["rows"]]
    assert 424242 in ranked and all(ranked.index(424242) < ranked.index(m) for m in HORROR if m in ranked), ranked
    forced = CliRunner().invoke(cli, ["refresh", "--users", "5", "--force", "--k", "12", "-q"], env=neo4j_env)
    assert forced.exit_code == 0, forced.output
    written = graph.read("MATCH (:User {userId: 5})-[r:RECOMMENDED]->(m:Movie) RETURN m.movieId AS m, "
                         "r.predictedRating AS rating ORDER BY r.rank")
    assert 424242 in [r["m"] for r in written] and all(r["rating"] is not None for r in written)
    # a second writer of the same fold (another refresh that read it before this one wrote) writes nothing, and
    # the run stays active, so refresh_movies does not call it stale
    active = ActiveFoldIn(graph)
    fold, _ = active.get()
    late = fold_new_movies(fold.run, active.catalogue(fold), [NewMovie(424242, "A New Cartoon", 2025)])
    assert write_folded_movies(graph, fold.run.run_id, late) == 0
    assert refresh_movies(graph, active, fold) == 0
    # a second refresh leaves it as it is: nothing folded twice
    again = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert again.exit_code == 0 and "folded in" not in again.output, again.output
    assert graph.read("MATCH (m:Movie {movieId: 424242})-[s:SIMILAR]->() RETURN count(s) AS n")[0]["n"] \
        == movie["similar"]
    # a service that keeps the run loaded adds a movie folded since, without loading the run again
    graph.write("CREATE (:Movie {movieId: 424243, title: 'Another Cartoon', year: 2026})")
    graph.write(RATE, userId=2, movieId=424243, rating=4.0)
    assert refresh_movies(graph, active, fold) == 1
    again_fold, exclude = active.get()
    assert again_fold is fold and fold.movie_ids[-2:] == [424242, 424243] and len(exclude) == fold.num_movies
    assert isinstance(fold.rank_scorer, LinearScorer)
    assert fold.rank_scorer.movie.shape[0] == fold.num_movies == len(fold.popular())
    # more ratings: folded with 1, at 3 (max(2 x 1, 1 + 3) = 4 not yet) nothing happens, at 4 it is folded again
    def fold_of(movie_id: int) -> dict[str, Any]:
        return dict(graph.read("MATCH (m:Movie {movieId: $id}) RETURN m.foldedRatingsAll AS all, "
                               "m.ratingBias AS bias, m.foldedRankBias AS rank", id=movie_id)[0])

    first = fold_of(424243)
    assert first["all"] == 1
    for user in (1, 3):
        graph.write(RATE, userId=user, movieId=424243, rating=2.0)
    assert refresh_movies(graph, active, fold) == 0 and fold_of(424243) == first
    graph.write(RATE, userId=4, movieId=424243, rating=2.0)
    assert refresh_movies(graph, active, fold) == 1
    refold = fold_of(424243)
    assert refold["all"] == 4 and refold["bias"] < first["bias"]  # three 2-star ratings pulled it down
    refolded, _ = active.get()
    assert refolded is fold and fold.movie_ids.count(424243) == 1  # replaced in place, not added twice
    position = fold.movie_ids.index(424243)
    assert float(fold.rating_scorer.movie_bias[position]) == pytest.approx(refold["bias"], abs=1e-6)
    # every list of the run still holds a movie at most once, ranked 1..n
    for source, rows in similar_lists(graph, fold.run.run_id).items():
        targets = [o for o, _, _ in rows]
        assert len(targets) == len(set(targets)) and [r for _, _, r in rows] == list(range(1, len(rows) + 1)), source
    assert refresh_movies(graph, active, fold) == 0  # folded with 4: the next fold waits for 8
    for user in (5, 6, 7, 8):
        graph.write(RATE, userId=user, movieId=424243, rating=4.0)
    refreshed = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert refreshed.exit_code == 0 and "folded 1 movies again" in refreshed.output, refreshed.output
    assert fold_of(424243)["all"] == 8


def folded_row(movie_id: int, similar: list[tuple[int, float]], incoming: list[tuple[int, float]]) -> FoldedMovies:
    one = torch.zeros(1, 2)
    return FoldedMovies([movie_id], one, torch.zeros(1), one, torch.zeros(1), one + 0.5, [similar], [3], [incoming])


def similar_lists(graph: Graph, run_id: str) -> dict[int, list[tuple[int, float, int]]]:
    rows = graph.read("MATCH (m:Movie)-[s:SIMILAR {runId: $runId}]->(o:Movie) "
                      "RETURN m.movieId AS m, o.movieId AS o, s.score AS score, s.rank AS rank ORDER BY m, rank",
                      runId=run_id)
    out: dict[int, list[tuple[int, float, int]]] = {}
    for r in rows:
        out.setdefault(r["m"], []).append((r["o"], r["score"], r["rank"]))
    return out


def test_a_folded_movie_enters_the_similar_lists_it_beats_and_they_stay_ranked_and_cut(graph: Graph) -> None:
    graph.write("CREATE (:ModelRun {runId: 'r', active: true, similarK: 2}), (:ModelRun {runId: 'old'}) "
                "WITH 1 AS one UNWIND range(1, 5) AS id CREATE (:Movie {movieId: id, embedding: [0.1, 0.2]})")
    graph.write("CREATE (:Movie {movieId: 99})")
    # movie 1: full list (2 at 0.5, 3 at 0.2); movie 2: one neighbour (k = 2: room); movie 3: full, 0.9 and 0.6;
    # movie 4: full at 0.4, 0.4 (a tie with the newcomer keeps the old one); another run's list is never touched
    for m, o, score, rank, run in [(1, 2, 0.5, 1, "r"), (1, 3, 0.2, 2, "r"), (2, 1, 0.3, 1, "r"), (3, 1, 0.9, 1, "r"),
                                   (3, 2, 0.6, 2, "r"), (4, 1, 0.4, 1, "r"), (4, 2, 0.4, 2, "r"),
                                   (5, 1, 0.1, 1, "old"), (5, 2, 0.1, 2, "old")]:
        graph.write("MATCH (m:Movie {movieId: $m}), (o:Movie {movieId: $o}) "
                    "CREATE (m)-[:SIMILAR {score: $score, rank: $rank, runId: $run}]->(o)",
                    m=m, o=o, score=score, rank=rank, run=run)
    folded = folded_row(99, [(1, 0.7), (3, 0.1)], [(1, 0.3), (2, 0.1), (3, 0.5), (4, 0.4), (5, 0.9)])
    assert write_folded_movies(graph, "r", folded) == 1
    lists = similar_lists(graph, "r")
    assert lists[99] == [(1, 0.7, 1), (3, 0.1, 2)]
    assert lists[1] == [(2, 0.5, 1), (99, 0.3, 2)]  # beat 0.2: in at 2, the old 2nd cut
    assert lists[2] == [(1, 0.3, 1), (99, 0.1, 2)]  # room left: in below
    assert lists[3] == [(1, 0.9, 1), (2, 0.6, 2)]  # 0.5 beats nothing
    assert lists[4] == [(1, 0.4, 1), (2, 0.4, 2)]  # a tie does not enter
    assert lists[5] == [(99, 0.9, 1)]  # movie 5 had no list of this run: room
    assert [(o, s) for o, s, _ in similar_lists(graph, "old")[5]] == [(1, 0.1), (2, 0.1)]
    # two new movies into one list in one write: ranked together, each list rewritten once
    graph.write("CREATE (:Movie {movieId: 100}), (:Movie {movieId: 101})")
    one = torch.zeros(2, 2)
    pair = FoldedMovies([100, 101], one, torch.zeros(2), one, torch.zeros(2), one + 0.5, [[], []], [3, 3],
                        [[(3, 0.95)], [(3, 0.7), (2, 0.2)]])
    assert write_folded_movies(graph, "r", pair) == 2
    lists = similar_lists(graph, "r")
    assert lists[3] == [(100, 0.95, 1), (1, 0.9, 2)]
    assert lists[2] == [(1, 0.3, 1), (101, 0.2, 2)]  # 0.2 beats 99's 0.1
    assert graph.read("MATCH (r:ModelRun {runId: 'r'}) RETURN r.foldedMovies AS n")[0]["n"] == 3
