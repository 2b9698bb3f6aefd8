# bench/lib.sh - shared by the benchmarks (sourced): build, timing, medians.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MB=$BENCH_ROOT/build/release/meterbase
BENCH_DIR=${MB_BENCH_DIR:-/tmp/meterbase-bench}
mkdir -p "$BENCH_DIR"
"$BENCH_ROOT/scripts/deps" --test >/dev/null
"$BENCH_ROOT/scripts/build" release

# seconds CMD...: wall seconds of one run (output discarded).
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$@" >/dev/null 2>"$BENCH_DIR/last.err"; then
    echo "bench: failed: $*" >&2; tail -5 "$BENCH_DIR/last.err" >&2; return 1
  fi
  t1=$(date +%s.%N)
  printf '%.3f\n' "$(echo "$t1 - $t0" | bc -l)"
}
# median_of N CMD...: median wall seconds over N runs.
median_of() {
  local n=$1; shift
  local i
  for ((i = 0; i < n; i++)); do seconds "$@"; done | sort -g |
    awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}
ratio() { echo "scale=1; $1 / $2" | bc -l; }
# A Python virtual environment for peer tools, installed from PyPI here
# (never by CI).
peer_venv() {
  local venv=$BENCH_DIR/venv
  if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q "$@" >&2
  echo "$venv/bin/python"
}
