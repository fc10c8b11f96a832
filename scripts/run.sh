#!/usr/bin/env bash
# The main job: install, start the local Neo4j, then ingest ml-latest-small, train,
# write back and print sample recommendations (`movierec pipeline`).
#
#   ./scripts/run.sh [extra pipeline options...]
#
# MovieLens comes from $MOVIELENS_DIR/ml-latest-small (default ../shared/datasets);
# set MOVIEREC_DOWNLOAD=1 to fetch it from GroupLens instead. Uses NEO4J_URI when set.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install.sh
export PATH="$PWD/.venv/bin:$PATH"

if [ -z "${NEO4J_URI:-}" ]; then
  movierec neo4j start
fi

if [ "${MOVIEREC_DOWNLOAD:-0}" = 1 ]; then
  exec movierec pipeline --download ml-latest-small "$@"
fi
MOVIELENS_DIR="${MOVIELENS_DIR:-$(cd .. && pwd)/shared/datasets}"
exec movierec pipeline --path "$MOVIELENS_DIR/ml-latest-small" "$@"
