# ingest_replay.sh - the data contract through the command line: the same
# files (with faults: corrections carrying newer versions, duplicates)
# ingested in three random orders, twice each, give one digest; replays
# change nothing; a correction wins while the old version stays in history.
source "$(dirname "$0")/lib.bash"
mb gen --meters 40 --days 12 --seed 11 --faults 0.2 --out "$TMP/p" >/dev/null
mapfile -t files < <(find "$TMP/p" -name '*.csv' | sort)
check "generated files" test "${#files[@]}" -gt 5
digests=()
for order in 1 2 3; do
  store=$TMP/s$order.db
  mapfile -t shuffled < <(printf '%s\n' "${files[@]}" | shuf --random-source=<(yes $order))
  for pass in 1 2; do
    mb ingest --quiet --store "$store" "${shuffled[@]}" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    check "ingest order $order pass $pass exits 0 or 1 (rc $rc)" test $rc -le 1
    if ((pass == 2)); then
      check "second pass applies nothing new" grep -q "^files: *0 applied" "$TMP/out"
    fi
    digests+=("$(digest_of "$store")")
  done
done
uniq=$(printf '%s\n' "${digests[@]}" | sort -u | wc -l)
check "one digest for 3 orders x 2 passes (${digests[*]})" test "$uniq" -eq 1
check "digest is not empty" test -n "${digests[0]}"
# Replaying a file under another name is recognised by content.
cp "${files[0]}" "$TMP/renamed.csv"
mb ingest --store "$TMP/s1.db" "$TMP/renamed.csv" >"$TMP/out" 2>&1
check "renamed copy is already seen" grep -q "1 already seen" "$TMP/out"
check "digest unchanged after renamed replay" test "$(digest_of "$TMP/s1.db")" = "${digests[0]}"
# History: some value has a superseded version after corrections.
meter=$(mb parse "${files[0]}" | sed -n '2s/,.*//p')
mb reads "$meter" --store "$TMP/s1.db" --from 2000-01-01 --to 2100-01-01 --history --output csv >"$TMP/h.csv"
check "reads --history lists values" test "$(wc -l <"$TMP/h.csv")" -gt 1
mb files --store "$TMP/s1.db" >"$TMP/files.txt"
check "files lists applied files" grep -q applied "$TMP/files.txt"
finish
