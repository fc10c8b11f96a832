#!/usr/bin/env bash
# Time and memory of training the default ranker (and any other --model) at scale, without Neo4j:
#   synth (if missing) -> the release as an exported-graph file (bench/graph_file.py: ingest's reader +
#   the exporter's build_heterodata) -> `movierec train --data FILE` under /usr/bin/time -v.
# Usage: scripts/train_scale.sh [OUT_DIR] [MODEL] (default /tmp/t25 ease; RATINGS=25000000; TRAIN_ARGS: more
# `movierec train` options, e.g. TRAIN_ARGS="--epochs 12" for lightgcn, whose 25M epoch takes about 100 s)
# The 25M release takes about 4 min to synthesise and 3 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/t25}; MODEL=${2:-ease}
RATINGS=${RATINGS:-25000000}
PY=${PYTHON:-.venv/bin/python}
MOVIEREC=$(dirname "$PY")/movierec
DATA=$OUT/synth-$RATINGS
mkdir -p "$OUT"
step() {
  local name=$1; shift
  echo "== $name: $* ($(date -u +%T))"
  /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
  echo "   $(grep -E 'Elapsed|Maximum resident' "$OUT/$name.time" | tr -s ' ' | tr '\n' ' ')"
}
[ -f "$DATA/ratings.csv" ] || step synth "$MOVIEREC" synth --ratings "$RATINGS" --out "$DATA" --seed 0
[ -f "$OUT/graph.pt" ] || step graph "$PY" -m bench.graph_file "$DATA" "$OUT/graph.pt"
# shellcheck disable=SC2086  # TRAIN_ARGS is a list of options
step "train-$MODEL" "$MOVIEREC" -v train --data "$OUT/graph.pt" --model "$MODEL" --device cpu --runs-dir "$OUT/runs" -q \
  ${TRAIN_ARGS:-}
tail -2 "$OUT/train-$MODEL.out"
