#!/usr/bin/env bash
# The 25M-rating pipeline of BENCHMARKS.md, with the product's own commands, each under /usr/bin/time -v:
#   synth (if missing) -> a fresh local Neo4j (4g heap, 8g page cache) -> ingest -> train (the default ranker,
#   or MODEL=sage: mini-batch) -> writeback -> its scoring against a bare U @ M.T + topk loop (bench/scoring.py)
#   -> the query benchmark on that graph -> the refresh benchmark (bench/refresh.py) -> a result JSON
#   (bench/pipeline_record.py).
# Usage: scripts/pipeline_25m.sh [OUT_DIR] (default /tmp/p25; RATINGS=25000000, MODEL=ease; sage: BS=65536, EPOCHS=1)
# TRAINED=RUN_DIR: write back a run trained by scripts/train_scale.sh on the same synthetic release (same seed, so
# the same ids) instead of training here: the default run's training (15.3 GiB at 25M) does not fit in 24 GiB beside
# the server's 8.7 GiB. No result JSON then (bench/pipeline_record.py reads the train step's files).
# HEAP / PAGECACHE (default 4g / 8g): the default run's writeback switch at 25M needs HEAP=8g (PAGECACHE=6g), its
# one transaction over 211,980 nodes' 256 + 256 dimensions exceeds a 4g heap's transaction memory.
# Needs ~20 GiB RAM, ~15 GB disk, about 75 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/p25}
RATINGS=${RATINGS:-25000000}; BS=${BS:-65536}; EPOCHS=${EPOCHS:-1}; MODEL=${MODEL:-ease}
PY=${PYTHON:-.venv/bin/python}
MOVIEREC=$(dirname "$PY")/movierec
mkdir -p "$OUT"
export MOVIEREC_HOME=$OUT NEO4J_URI=bolt://127.0.0.1:7720
[ -s "$OUT/pw" ] || (umask 077; "$PY" -c "import secrets; print(secrets.token_urlsafe(18))" > "$OUT/pw")
NEO4J_PASSWORD=$(cat "$OUT/pw"); export NEO4J_PASSWORD
DATA=$OUT/data/synth-$RATINGS
step() {
  local name=$1; shift
  echo "== $name: $* ($(date -u +%T))"
  /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
  echo "   $(grep -E 'Elapsed|Maximum resident' "$OUT/$name.time" | tr -s ' ' | tr '\n' ' ')"
}
server_hwm() { grep VmHWM "/proc/$("$PY" -c "import json; print(json.load(open('$OUT/neo4j/server.json'))['pid'])")/status"; }
[ -f "$DATA/ratings.csv" ] || step synth "$MOVIEREC" synth --ratings "$RATINGS" --out "$DATA" --seed 0
"$MOVIEREC" neo4j start --bolt-port 7720 --http-port 7420 --heap "${HEAP:-4g}" --pagecache "${PAGECACHE:-8g}"
trap '"$MOVIEREC" neo4j stop' EXIT
step ingest "$MOVIEREC" ingest --path "$DATA" -q
echo "   neo4j $(server_hwm)"
if [ -n "${TRAINED:-}" ]; then
  echo "== train: skipped, writing back $TRAINED"
elif [ "$MODEL" = sage ]; then
  step train "$MOVIEREC" train --model sage --minibatch --batch-size "$BS" --epochs "$EPOCHS" --ensemble 1 \
    --runs-dir "$OUT/runs"
else
  step train "$MOVIEREC" -v train --model "$MODEL" --runs-dir "$OUT/runs" -q
fi
RUN=${TRAINED:-$(ls -td "$OUT"/runs/*/ | head -1)}
step writeback "$MOVIEREC" writeback "$RUN"
echo "   neo4j $(server_hwm)"
step scoring "$PY" -m bench.scoring "$RUN" --writeback-out "$OUT/writeback.out" --json "$OUT/scoring.json"
step query "$PY" -m bench query --size "$RATINGS" --duration 10 --json "$OUT/query.json"
step refresh "$PY" -m bench.refresh --json "$OUT/refresh.json"
[ -n "${TRAINED:-}" ] || "$PY" -m bench.pipeline_record "$OUT" --ratings "$RATINGS" --json "$OUT/pipeline.json"
