"""Export: the real Neo4j into HeteroData, exact counts, labels, features and filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import torch
from click.testing import CliRunner
from torch_geometric.data import HeteroData

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.core.errors import ExportError
from movierec.gnn.data.export import bare_scan, export_graph, load_heterodata
from movierec.gnn.data.hetero import MOVIE, RATES, REV_RATES, USER
from movierec.gnn.data.where import SubgraphFilter, parse_where
from tests.gnn import tiny


def _triples(data: HeteroData) -> set[tuple[int, int, float, int]]:
    users, movies = data[USER].node_id, data[MOVIE].node_id
    u, m = data[RATES].edge_index
    return {(int(users[a]), int(movies[b]), float(r), int(t))
            for a, b, r, t in zip(u, m, data[RATES].edge_label, data[RATES].time, strict=True)}


def test_export_gives_exactly_the_ingested_counts_and_edge_labels(graph: Graph) -> None:
    tiny.create(graph)
    data, stats = export_graph(graph)
    assert (stats.users, stats.movies, stats.edges) == (12, 15, 96)
    assert data[USER].num_nodes == 12 and data[MOVIE].num_nodes == 15
    assert data[USER].node_id.tolist() == list(range(1, 13))
    assert data[MOVIE].node_id.tolist() == list(range(101, 116))
    assert _triples(data) == {(r["userId"], r["movieId"], r["rating"], r["ts"]) for r in tiny.ratings()}
    assert data[RATES].edge_label.dtype == torch.float32
    assert torch.equal(data[REV_RATES].edge_index, data[RATES].edge_index.flip(0))
    assert "x" not in data[USER]  # no demographics in this release: learned embeddings only
    # Movie features: genre multi-hot over the sorted genre names, normalised year, unknown-year flag.
    assert data.genres == tiny.GENRES
    x = data[MOVIE].x
    assert x.shape == (15, 6)
    movie3 = tiny.movies()[2]  # movieId 103: Sci-Fi + Action (3 % 3 == 0)
    assert movie3["genres"] == ["Sci-Fi", "Action"]
    assert x[2, :4].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert x[14, 4:].tolist() == [0.0, 1.0]  # movieId 115: year unknown
    years = torch.arange(1990, 2004, dtype=torch.float32)
    assert torch.allclose(x[:14, 4], (years - years.mean()) / years.std(unbiased=False), atol=1e-5)


def test_export_is_deterministic_whatever_order_the_database_streams(graph: Graph) -> None:
    tiny.create(graph)
    first, _ = export_graph(graph, fetch_size=7)
    second, _ = export_graph(graph, fetch_size=1000)
    assert torch.equal(first[RATES].edge_index, second[RATES].edge_index)
    assert torch.equal(first[RATES].edge_label, second[RATES].edge_label)


def test_filters_are_applied_in_cypher(graph: Graph) -> None:
    tiny.create(graph)
    rows, films = tiny.ratings(), {m["movieId"]: m for m in tiny.movies()}

    def expected(keep: Callable[[dict[str, Any], dict[str, Any]], bool]) -> int:
        return sum(1 for r in rows if keep(r, films[r["movieId"]]))

    cases = [
        (SubgraphFilter(min_year=2000), lambda r, m: m["year"] is not None and m["year"] >= 2000),
        (SubgraphFilter(max_year=1995), lambda r, m: m["year"] is not None and m["year"] <= 1995),
        (SubgraphFilter(genres=("Comedy", "Drama")), lambda r, m: bool({"Comedy", "Drama"} & set(m["genres"]))),
        (SubgraphFilter(users=(1, 5)), lambda r, m: r["userId"] in (1, 5)),
        (SubgraphFilter(rated_after=datetime.fromtimestamp(tiny.T0 + 50 * 3600, timezone.utc)),
         lambda r, m: r["ts"] >= tiny.T0 + 50 * 3600),
        (SubgraphFilter(**parse_where("year >= 1995 and genre = Action and rated < 2017-07-16")),
         lambda r, m: m["year"] is not None and m["year"] >= 1995 and "Action" in m["genres"]
         and r["ts"] < datetime(2017, 7, 16, tzinfo=timezone.utc).timestamp()),
    ]
    for where, keep in cases:
        data, stats = export_graph(graph, where)
        assert stats.edges == expected(keep), where
        assert data[RATES].num_edges == stats.edges
    data, _ = export_graph(graph, SubgraphFilter(users=(1, 5)))
    assert data[USER].node_id.tolist() == [1, 5]
    data, _ = export_graph(graph, SubgraphFilter(genres=("Comedy",)))
    assert data[MOVIE].node_id.tolist() == [m for m, f in films.items() if "Comedy" in f["genres"]]


def test_filter_values_are_parameters_not_query_text(graph: Graph) -> None:
    tiny.create(graph)
    with pytest.raises(ExportError, match="has no ratings"):
        export_graph(graph, SubgraphFilter(genres=("Comedy'] OR true //",)))


def test_empty_subgraph_is_one_clear_error(graph: Graph) -> None:
    tiny.create(graph)
    with pytest.raises(ExportError, match=r"the selected subgraph \(min_year=3000\) has no ratings"):
        export_graph(graph, SubgraphFilter(min_year=3000))


def test_bare_scan_reads_the_same_records(graph: Graph) -> None:
    tiny.create(graph)
    n, seconds = bare_scan(graph, SubgraphFilter(users=(2, 3)))
    assert n == 16
    assert bare_scan(graph, SubgraphFilter(users=(2, 3)), per_user=True)[0] == 16


def test_a_rating_without_timestamp_exports_as_time_zero_and_one_without_rating_is_an_error(graph: Graph) -> None:
    tiny.create(graph)
    graph.write("MATCH (:User {userId: 1})-[r:RATED]->(:Movie {movieId: $m}) REMOVE r.timestamp",
                m=tiny.ratings()[0]["movieId"])
    data, stats = export_graph(graph)
    assert stats.edges == 96
    assert (1, tiny.ratings()[0]["movieId"], tiny.ratings()[0]["rating"], 0) in _triples(data)
    graph.write("MATCH (:User {userId: 2})-[r:RATED]->() WITH r LIMIT 1 REMOVE r.rating")
    with pytest.raises(ExportError, match="userId 2 has RATED relationships without a rating"):
        export_graph(graph)


def test_where_language() -> None:
    assert parse_where("year >= 2000 and genre in (Comedy, 'Sci-Fi')") == {
        "min_year": 2000, "genres": ("Comedy", "Sci-Fi")}
    assert parse_where("m.year > 1999 AND year < 2011") == {"min_year": 2000, "max_year": 2010}
    assert parse_where("user in (1, 2) and rated >= 2015-01-01") == {
        "users": (1, 2), "rated_after": datetime(2015, 1, 1, tzinfo=timezone.utc)}
    for bad, message in [("title = x", "unknown field 'title'"), ("year >= abc", "cannot read 'year >= abc'"),
                         ("genre > Comedy", "genre takes = or in"), ("year", "expected FIELD OP VALUE")]:
        with pytest.raises(ValueError, match=message):
            parse_where(bad)


def test_export_cli_writes_a_loadable_graph(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    tiny.create(graph)
    out = tmp_path / "g.pt"
    result = CliRunner().invoke(cli, ["export", "--out", str(out), "--genre", "Drama", "-q"], env=neo4j_env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = load_heterodata(out)
    drama = {m["movieId"] for m in tiny.movies() if "Drama" in m["genres"]}
    assert data[RATES].num_edges == sum(1 for r in tiny.ratings() if r["movieId"] in drama)
    assert result.output.startswith(f"exported 12 users, {len(drama)} movies, {data[RATES].num_edges} ratings "
                                    "(genres=Drama) to ")


def test_export_cli_empty_subgraph_and_bad_where(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    tiny.create(graph)
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "g.pt"), "--where", "year >= 3000", "-q"],
                                env=neo4j_env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the selected subgraph (min_year=3000) has no ratings")
    assert not (tmp_path / "g.pt").exists()
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "g.pt"), "--where", "rating > 3"],
                                env=neo4j_env)
    assert result.exit_code == 2
    assert "unknown field 'rating'" in result.output
