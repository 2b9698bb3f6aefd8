# lib.bash - shared by the command-line tests (sourced, not run).
# Environment from ctest: MB_BIN (meterbase binary), MB_SHARED (shared/
# folder), MB_TESTS (tests/ folder).
set -uo pipefail
: "${MB_BIN:?MB_BIN must name the meterbase binary}"
# A function: never run it in the background to kill it (kill would hit
# the subshell, not meterbase); use "$MB_BIN" there.
mb() { "$MB_BIN" "$@"; }
TMP=$(mktemp -d /tmp/mbcli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export METERBASE_STORE=$TMP/default.db
fails=0 passes=0
ok()   { passes=$((passes + 1)); }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check() { # description, command...
  local what=$1; shift
  if "$@"; then ok; else fail "$what"; fi
}
# expect_exit CODE description command... : run, compare exit status
expect_exit() {
  local want=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?
  if [[ $got == "$want" ]]; then ok; else
    fail "$what: exit $got, expected $want"; sed 's/^/  | /' "$TMP/err" | head -5 >&2
  fi
}
digest_of() { mb verify --store "$1" | sed -n 's/^digest //p'; }
finish() {
  echo "$passes passed, $fails failed"
  ((fails == 0))
}
