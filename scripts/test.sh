#!/usr/bin/env bash
# The test command: install (with test extras), lint and type-check, start a throw-away
# local Neo4j, run pytest against it, and stop the server whatever happens.
#
#   ./scripts/test.sh [pytest args...]
#
# Uses NEO4J_URI instead of starting a server when it is set. Integration tests fail
# (never skip) when no Neo4j can be had (MOVIEREC_REQUIRE_NEO4J=1) and when the real
# ml-latest-small is missing from $MOVIELENS_DIR (MOVIEREC_REQUIRE_DATA=1).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install.sh test
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"; ruff check .
echo "== mypy"; mypy

export MOVIEREC_REQUIRE_NEO4J=1
export MOVIEREC_REQUIRE_DATA="${MOVIEREC_REQUIRE_DATA:-1}"
export MOVIELENS_DIR="${MOVIELENS_DIR:-$(cd .. && pwd)/shared/datasets}"

if [ -z "${NEO4J_URI:-}" ]; then
  . scripts/throwaway_neo4j.sh
  throwaway_neo4j test "${MOVIEREC_TEST_BOLT_PORT:-17687}" "${MOVIEREC_TEST_HTTP_PORT:-17474}"
  export MOVIEREC_TEST_NEO4J_HOME="$THROWAWAY_HOME"
fi

echo "== pytest"
python -m pytest "$@"
