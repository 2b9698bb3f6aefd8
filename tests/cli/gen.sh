#!/usr/bin/env bash
# meterbase gen from the command line: help, usage errors (exit 2), the same
# arguments giving the same bytes, a different seed giving other bytes.
set -u
bin=${MB_BIN:?MB_BIN must name the meterbase binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect STATUS CMD...
    local want=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: exit $got, expected $want: $*"; cat "$tmp/err"; fail=1
    fi
}

expect 0 "$bin" gen --help
grep -q -- "--meters-per-file" "$tmp/out" || { echo "FAIL: help text"; fail=1; }
expect 2 "$bin" gen --days 1 --out "$tmp/x"
expect 2 "$bin" gen --meters 0 --days 1 --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --interval 10 --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --faults 1.5 --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --format nem12 --zone Europe/London --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --format d0010 --zone +10:00 --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --start 2024-02-30 --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --zone No/Such_Zone --format csv --out "$tmp/x"
expect 2 "$bin" gen --meters 5 --days 1 --bogus --out "$tmp/x"

for fmt in nem12 nem13 d0010 csv; do
    args=(gen --meters 30 --days 35 --format "$fmt" --faults 0.1 --meters-per-file 7)
    expect 0 "$bin" "${args[@]}" --out "$tmp/$fmt-a"
    expect 0 "$bin" "${args[@]}" --out "$tmp/$fmt-b"
    expect 0 "$bin" "${args[@]}" --seed 2 --out "$tmp/$fmt-c"
    diff -r "$tmp/$fmt-a" "$tmp/$fmt-b" >/dev/null ||
        { echo "FAIL: $fmt: same arguments, different files"; fail=1; }
    diff -r "$tmp/$fmt-a" "$tmp/$fmt-c" >/dev/null &&
        { echo "FAIL: $fmt: another seed, same files"; fail=1; }
    [ -s "$tmp/$fmt-a/manifest.txt" ] || { echo "FAIL: $fmt: no manifest"; fail=1; }
done
exit $fail
