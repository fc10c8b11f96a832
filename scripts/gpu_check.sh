#!/usr/bin/env bash
# CPU vs CUDA on one prepared graph, for the day a GPU machine is lent (issue 13, item 5).
#
#   bash scripts/gpu_check.sh --prepare [--ratings N | --graph FILE]   # HERE, on CPU, beforehand
#   bash scripts/gpu_check.sh                                          # THERE, on the CUDA machine
#
# --prepare (CPU machine, ~1-2 min at 1M): `movierec synth --ratings N --seed 0` (default 1,000,000) into
#   $TMPDIR, then `python -m bench.graph_file` (ingest's reader + the exporter's build_heterodata: what
#   `movierec export --out` writes) into $GPU_CHECK_DIR/graph.pt, plus manifest.json (sizes, sha256).
#   --graph FILE takes a graph already exported with `movierec export --out FILE` instead.
#   $GPU_CHECK_DIR defaults to build/gpu-check: git-ignored, so the device call must name it in `carry`
#   (the working tree and carried paths travel together, 64 MiB at most: --prepare checks the total).
# Run (no Neo4j, no network, no pip install: the project runs from this tree through PYTHONPATH; the neo4j
#   driver, which the CLI imports at module level, is replaced by a stub when missing, see scripts/gpu_check.py):
#   `movierec train --data graph.pt` for sage (GPU_CHECK_SAGE_EPOCHS, default 10 epochs, 1 member), lightgcn
#   (5 epochs, its softmax path chosen by size as on CPU) and ease,
#   each with --device cuda and --device cpu; CPU-vs-CUDA s/epoch (sage) and fit s (ease); top-20 of every
#   user (gnn/topk.py top_k over the CPU-trained runs) on CPU and CUDA; checks |dNDCG@10| <= 0.01,
#   |dRMSE| <= 0.01, top-20 overlap >= 0.95 and that resolve_device('auto') picks cuda. Figures: stdout,
#   and $OUT/gpu_check.json + $OUT/gpu_check.log when OUT is set (the device tool's output folder).
#   Exit 0 all checks passed, 1 a check failed (or an error), 2 steps skipped for time, 124 the hard timeout.
#   Steps that would start after GPU_CHECK_BUDGET_S (default 420 s) are skipped; GPU_CHECK_TIMEOUT_S
#   (default 470 s) kills the run outright, so the whole call stays under 8 minutes.
# Without CUDA it is a dry run (exit 0): it says so, checks the prepared inputs and the stubbed import, and
#   prints what it would run. GPU_CHECK_FORCE_CPU=1 runs the whole comparison anyway with CPU standing in for
#   CUDA (driver stubbed as on the device): a test of the script, on a small prepared graph.
# The device call, once prepared (timeout_s leaves the script's own limit room to fire first):
#   run(command="bash scripts/gpu_check.sh", carry=["build/gpu-check"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::FutureWarning}  # torch.jit deprecation noise from PyG imports
DIR=${GPU_CHECK_DIR:-build/gpu-check}
BUDGET=${GPU_CHECK_BUDGET_S:-420}
HARD_TIMEOUT=${GPU_CHECK_TIMEOUT_S:-470}
EPOCHS=${GPU_CHECK_SAGE_EPOCHS:-10}
LIMIT_MIB=64       # what the device tool moves: working tree + carried paths
TMP=${TMPDIR:-/tmp}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

MODE=run RATINGS=1000000 GRAPH_SRC=""
while [ $# -gt 0 ]; do
  case $1 in
    --prepare) MODE=prepare ;;
    --ratings) RATINGS=${2:?--ratings N}; shift ;;
    --graph) GRAPH_SRC=${2:?--graph FILE}; shift ;;
    --dir) DIR=${2:?--dir DIR}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
GRAPH=$DIR/graph.pt
MANIFEST=$DIR/manifest.json

# python3 with torch (the device machine's); here the project's .venv. PYTHON overrides.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3 .venv/bin/python; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch' >/dev/null 2>&1; then
      PY=$candidate; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "gpu_check: no python with torch found (tried python3, .venv/bin/python; set PYTHON=...)" >&2
  exit 1
fi

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
tree_bytes() {  # tracked + untracked-not-ignored files: what travels besides carried paths (read-only git)
  git ls-files -z --cached --others --exclude-standard 2>/dev/null \
    | xargs -0 -r stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

device_call() {  # the device tool's call for this folder
  local rel env=""
  case $(realpath -m "$DIR") in
    "$ROOT"/*) rel=$(realpath -m --relative-to="$ROOT" "$DIR")
               [ "$rel" = build/gpu-check ] || env="GPU_CHECK_DIR=$rel "
               echo "run(command=\"${env}bash scripts/gpu_check.sh\", carry=[\"$rel\"], timeout_s=540)" ;;
    *) echo "nothing: $DIR is outside the repository and will not travel (prepare into a folder inside it)" ;;
  esac
}

if [ "$MODE" = prepare ]; then
  mkdir -p "$DIR"
  rm -f "$GRAPH" "$MANIFEST"
  if [ -n "$GRAPH_SRC" ]; then
    echo "== graph: copying $GRAPH_SRC (a \`movierec export --out\` file)"
    cp "$GRAPH_SRC" "$GRAPH"
    SOURCE="movierec export --out ($GRAPH_SRC)" RATINGS_ARG=()
  else
    RELEASE=$TMP/gpu-check-synth-$RATINGS
    if [ ! -f "$RELEASE/ratings.csv" ]; then
      echo "== synth: movierec synth --ratings $RATINGS --out $RELEASE --seed 0"
      "$PY" -m movierec synth --ratings "$RATINGS" --out "$RELEASE" --seed 0 --quiet
    else
      echo "== synth: reusing $RELEASE"
    fi
    echo "== graph: python -m bench.graph_file $RELEASE $GRAPH"
    "$PY" -m bench.graph_file "$RELEASE" "$GRAPH"
    SOURCE="movierec synth --ratings $RATINGS --seed 0 + python -m bench.graph_file" RATINGS_ARG=(--ratings "$RATINGS")
  fi
  "$PY" scripts/gpu_check.py manifest "$GRAPH" "${RATINGS_ARG[@]}" --source "$SOURCE" --out "$MANIFEST"
  dir_b=$(du -sb "$DIR" | cut -f1) tree_b=$(tree_bytes)
  total_b=$((dir_b + tree_b))
  echo "== sizes: $DIR $(mib "$dir_b") MiB + working tree $(mib "$tree_b") MiB = $(mib "$total_b") MiB" \
       "(the device tool moves at most $LIMIT_MIB MiB)"
  if [ "$total_b" -gt $(( (LIMIT_MIB - 4) * 1048576 )) ]; then
    echo "too large to travel with 4 MiB to spare: prepare a smaller release (--ratings 500000)" >&2
    exit 1
  fi
  echo "prepared. The device tool's call: $(device_call)"
  exit 0
fi

# ---- run (or dry run) ------------------------------------------------------------------------------------
read -r CUDA TORCH < <("$PY" -c 'import torch; print(int(torch.cuda.is_available()), torch.__version__)' \
                       2>/dev/null || echo "0 ?")
ACCEL=cuda STUB=()
if [ "${GPU_CHECK_FORCE_CPU:-0}" = 1 ]; then
  ACCEL=cpu STUB=(--stub-neo4j)
  echo "GPU_CHECK_FORCE_CPU=1: CPU stands in for CUDA (a test of this script; the ratios mean nothing)"
fi

have_inputs=1
if [ -f "$GRAPH" ] && [ -f "$MANIFEST" ]; then
  echo "prepared inputs: $GRAPH ($(mib "$(stat -c %s "$GRAPH")") MiB), $MANIFEST:"
  sed 's/^/  /' "$MANIFEST"
else
  have_inputs=0
  echo "prepared inputs MISSING: $GRAPH and $MANIFEST. Prepare them on the CPU machine first:"
  echo "  bash scripts/gpu_check.sh --prepare            # 1M synthetic ratings, ~46 MB graph file"
  echo "then the device tool's call: $(device_call)"
fi

WORK=$TMP/gpu-check-work
JSON=${OUT:+$OUT/gpu_check.json}
JSON=${JSON:-$TMP/gpu-check-result.json}
RUN=("$PY" scripts/gpu_check.py run --data "$GRAPH" --manifest "$MANIFEST" --accel "$ACCEL" --json "$JSON"
     --work "$WORK" --sage-epochs "$EPOCHS" --budget "$BUDGET" "${STUB[@]}")

if [ "$CUDA" != 1 ] && [ "$ACCEL" = cuda ]; then
  echo
  echo "DRY RUN: this check needs CUDA, and torch $TORCH ($PY) sees no CUDA device here; nothing is trained."
  echo "On a CUDA machine it runs (PYTHONPATH=$ROOT, no Neo4j, no network):"
  printf ' %q' "${RUN[@]}"; echo
  echo "which in turn runs, in-process with the neo4j driver stubbed where it is missing:"
  for model in sage ease lightgcn; do
    extra=""; [ $model = sage ] && extra=" --epochs $EPOCHS --ensemble 1 --patience $((EPOCHS + 1))"
    [ $model = lightgcn ] && extra=" --epochs 5 --patience 6"
    for dev in cuda cpu; do
      echo "  movierec train --data $GRAPH --model $model --device $dev --seed 0 --runs-dir $WORK/$model-... --quiet$extra"
    done
  done
  echo "  then gnn/topk.py top_k (k=20, every user, rated movies masked) over the CPU-trained sage and ease runs:"
  echo "  CPU, CUDA with 1,024-user chunks (writeback's default) and with 8,192; and the tolerance checks."
  echo "  --device auto: gnn/train.py resolve_device returns cuda when torch.cuda.is_available(), the run checks it."
  "$PY" scripts/gpu_check.py import-check || { echo "import check FAILED: the device run would fail too" >&2; exit 1; }
  [ $have_inputs = 1 ] || echo "(inputs missing: prepare them before the device call)"
  echo "dry run done (exit 0)."
  exit 0
fi

[ $have_inputs = 1 ] || exit 1
rm -rf "$WORK"
LOG=${OUT:+$OUT/gpu_check.log}
[ -z "${OUT:-}" ] || mkdir -p "$OUT"
echo "== gpu_check: accelerator $ACCEL, $(nproc) cores, budget ${BUDGET}s, hard limit ${HARD_TIMEOUT}s, JSON $JSON"
[ "$ACCEL" != cuda ] || nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
TIMEOUT=(); command -v timeout >/dev/null 2>&1 && TIMEOUT=(timeout -k 10 "$HARD_TIMEOUT")
set +e
if [ -n "$LOG" ]; then
  "${TIMEOUT[@]}" "${RUN[@]}" 2>&1 | tee "$LOG"; rc=${PIPESTATUS[0]}
else
  "${TIMEOUT[@]}" "${RUN[@]}"; rc=$?
fi
set -e
case $rc in
  0) echo "gpu_check: all checks passed" ;;
  2) echo "gpu_check: incomplete, steps skipped for time (figures so far in $JSON)" ;;
  124|137) echo "gpu_check: killed at the hard limit of ${HARD_TIMEOUT}s (figures so far in $JSON)" ;;
  *) echo "gpu_check: FAILED (exit $rc)" ;;
esac
exit $rc
