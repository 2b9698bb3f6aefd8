# compact.sh - `meterbase compact` through the command line: archiving
# months changes no digest and no read; corrections ingested into an
# archived month give the same digest as on a store never compacted; bad
# options are usage errors.
source "$(dirname "$0")/lib.bash"
mb gen --meters 30 --days 75 --seed 5 --faults 0.2 --out "$TMP/p" >/dev/null
mapfile -t files < <(find "$TMP/p" -name '*.csv' | sort)
check "generated files" test "${#files[@]}" -gt 5
half=$(( ${#files[@]} / 2 ))
plain=$TMP/plain.db arch=$TMP/arch.db
mb ingest --quiet --store "$plain" "${files[@]}" >/dev/null 2>&1
mb ingest --quiet --store "$arch" "${files[@]:0:$half}" >/dev/null 2>&1
before=$(digest_of "$arch")
expect_exit 0 "compact" mb compact --store "$arch" --keep-days 0
check "compact reports months" grep -q "^archived: [1-9]" "$TMP/out"
check "digest unchanged by compaction" test "$(digest_of "$arch")" = "$before"
expect_exit 0 "compact again" mb compact --store "$arch" --keep-days 0
check "nothing left to archive" grep -q "^archived: 0 months" "$TMP/out"
# The rest, including late files and corrections, on top of the archive.
mb ingest --quiet --store "$arch" "${files[@]}" >/dev/null 2>&1
check "same digest as never compacted" test "$(digest_of "$arch")" = "$(digest_of "$plain")"
meter=$(mb parse "${files[0]}" | sed -n '2s/,.*//p')
for s in "$plain" "$arch"; do
  mb reads "$meter" --store "$s" --from 2000-01-01 --to 2100-01-01 --history --output csv >"$s.csv"
done
check "reads --history the same" cmp -s "$plain.csv" "$arch.csv"
check "reads list values" test "$(wc -l <"$arch.csv")" -gt 100
expect_exit 0 "compact --help" mb compact --help
expect_exit 2 "negative --keep-days" mb compact --store "$arch" --keep-days -1
expect_exit 2 "stray argument" mb compact --store "$arch" extra
finish
