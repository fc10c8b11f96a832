#!/usr/bin/env bash
# The marked subset of the suite (pytest -m neo4j_line: ingest, train from Neo4j, writeback, the Cypher library,
# refresh with new movies, the local server) against another Neo4j line, started by `movierec neo4j start`.
#
#   ./scripts/test_neo4j_line.sh [VERSION] [pytest args...]     (default VERSION: 2026.08.1, the current line)
#
# The server runs with that version's own defaults: from 2026.02, Cypher 25 as the default language. It needs
# Java 21+ (JAVA_HOME, PATH or /usr/lib/jvm) and resolves the jars from Maven Central once per version.
# .ci/run runs it after the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:-2026.08.1}"
shift || true
./scripts/install.sh test
export PATH="$PWD/.venv/bin:$PATH"
export MOVIEREC_REQUIRE_NEO4J=1
export MOVIEREC_REQUIRE_DATA="${MOVIEREC_REQUIRE_DATA:-1}"
export MOVIELENS_DIR="${MOVIELENS_DIR:-$(cd .. && pwd)/shared/datasets}"
export MOVIEREC_NEO4J_VERSION="$VERSION"

unset NEO4J_PASSWORD NEO4J_URI  # a fresh server with a random password, never the main suite's
. scripts/throwaway_neo4j.sh
throwaway_neo4j line "${MOVIEREC_LINE_BOLT_PORT:-18687}" "${MOVIEREC_LINE_HTTP_PORT:-18474}" "$VERSION"
STATUS=$(movierec neo4j status --home "$THROWAWAY_HOME")
echo "$STATUS"
[[ "$STATUS" == *"version: $VERSION "* ]] || { echo "the server does not report version $VERSION"; exit 1; }
echo "== pytest -m neo4j_line against Neo4j $VERSION"
python -m pytest -m neo4j_line "$@"
