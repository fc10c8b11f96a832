#!/usr/bin/env bash
# The README's quality tables and docs/quality.png, re-measured: every model on both splits of ml-latest-small,
# each `movierec evaluate`d beside the peers (fitted on the same training edges, measured on the same test edges).
#
#   scripts/quality.sh GRAPH.pt [MODELS...]     (default models: combined ease gfcf lightgcn sage gcmc)
#
# GRAPH.pt is ml-latest-small as exported from Neo4j (`movierec ingest --path .../ml-latest-small` then
# `movierec export --out GRAPH.pt`). Writes bench/results/eval-<split>-<model>.json (with the training seconds:
# time to that quality on this machine) and docs/quality.png. Seed 0, CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
GRAPH=${1:?usage: scripts/quality.sh GRAPH.pt [MODELS...]}; shift
MODELS=${*:-combined ease gfcf lightgcn sage gcmc}
MOVIEREC=${MOVIEREC:-.venv/bin/movierec}
RUNS=$(mktemp -d -t movierec-quality-XXXXXX)
trap 'rm -rf "$RUNS"' EXIT
for split in random temporal; do
  for model in $MODELS; do
    echo "== $split $model ($(date -u +%T))"
    "$MOVIEREC" train --data "$GRAPH" --model "$model" --split "$split" --seed 0 --device cpu --runs-dir "$RUNS" -q \
      > "$RUNS/train.txt"
    run=$(sed -n '1s/.* written to //p' "$RUNS/train.txt")
    "$MOVIEREC" evaluate "$run" --metrics-out "bench/results/eval-$split-$model.json" -q > "$RUNS/table.txt"
    sed -n 3p "$RUNS/table.txt"
  done
done
# the chart shows every model measured so far (re-measuring one keeps the others' rows)
files() { for model in combined ease gfcf lightgcn sage gcmc; do f="bench/results/eval-$1-$model.json"; [ -f "$f" ] && printf '%s,' "$f"; done | sed 's/,$//'; }
.venv/bin/python -m bench.plot_quality "$(files random)" "$(files temporal)" --out docs/quality.png \
  --titles "ml-latest-small, random 80/10/10|ml-latest-small, temporal (latest 10 % per user)"
