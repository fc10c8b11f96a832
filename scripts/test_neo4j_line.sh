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

LINE_HOME=$(mktemp -d -t movierec-line-XXXXXX)
BOLT_PORT=${MOVIEREC_LINE_BOLT_PORT:-18687}
HTTP_PORT=${MOVIEREC_LINE_HTTP_PORT:-18474}
cleanup() {
  movierec neo4j stop --home "$LINE_HOME/neo4j" || true
  rm -rf "$LINE_HOME"
}
trap cleanup EXIT
export NEO4J_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
echo "== neo4j $VERSION"
movierec neo4j start --home "$LINE_HOME/neo4j" --bolt-port "$BOLT_PORT" --http-port "$HTTP_PORT"
STATUS=$(movierec neo4j status --home "$LINE_HOME/neo4j")
echo "$STATUS"
[[ "$STATUS" == *"version: $VERSION "* ]] || { echo "the server does not report version $VERSION"; exit 1; }
export NEO4J_URI="bolt://127.0.0.1:$BOLT_PORT" NEO4J_USERNAME=neo4j NEO4J_DATABASE=neo4j
echo "== pytest -m neo4j_line against Neo4j $VERSION"
python -m pytest -m neo4j_line "$@"
