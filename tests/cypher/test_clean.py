"""Every statement of the Cypher library plans on the server the suite runs against, with no deprecation notice:
on 5.26 and on the 2026 line with Cypher 25 as the default language (scripts/test_neo4j_line.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import NotificationClassification

from movierec import cypher
from movierec.core.db import Graph

LIBRARY = sorted(p.stem for p in (Path(__file__).parents[2] / "cypher").glob("*.cypher"))


def test_the_library_is_all_there() -> None:
    assert len(LIBRARY) > 50 and "similar_by_embedding" in LIBRARY


@pytest.mark.neo4j
def test_no_query_is_deprecated_on_this_server(graph: Graph) -> None:
    graph.write("CREATE VECTOR INDEX movie_embedding IF NOT EXISTS FOR (m:Movie) ON m.embedding OPTIONS "
                "{indexConfig: {`vector.dimensions`: 2, `vector.similarity_function`: 'cosine'}}")
    deprecated = []
    planned = 0
    with graph.driver.session(database=graph.database) as session:
        for name in LIBRARY:
            for statement in cypher.statements(name):
                summary = session.run("EXPLAIN " + statement).consume()
                planned += 1
                deprecated += [f"{name}: {s.status_description}" for s in summary.gql_status_objects
                               if s.classification == NotificationClassification.DEPRECATION]
    assert planned >= len(LIBRARY) and deprecated == []
