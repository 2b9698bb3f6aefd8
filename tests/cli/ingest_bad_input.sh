# ingest_bad_input.sh - a folder mixing good files, the AEMO invalid
# examples, truncated and binary files: every good file is applied, every
# bad one rejected with its reason and quarantined, and nothing stored
# before is lost.
source "$(dirname "$0")/lib.bash"
dir=$TMP/in
mb gen --meters 20 --days 3 --seed 3 --out "$dir" >/dev/null
rm -f "$dir/manifest.txt"
mapfile -t good < <(find "$dir" -name '*.csv' | sort)
store=$TMP/s.db
mb ingest --quiet --store "$store" "${good[0]}" >/dev/null
before=$(digest_of "$store")
bad=0
if [[ -d $MB_SHARED/data/nem/invalid ]]; then
  for f in "$MB_SHARED"/data/nem/invalid/*; do
    [[ $(basename "$f") == Example_NEM12_empty.csv ]] && continue
    cp "$f" "$dir/aemo_$(basename "$f")"; bad=$((bad + 1))
  done
else
  echo "note: $MB_SHARED/data/nem absent, AEMO invalid files not mixed in"
fi
head -c 3000 "${good[1]}" >"$dir/truncated.csv"; bad=$((bad + 1))
head -c 4096 /dev/urandom >"$dir/binary.bin"; bad=$((bad + 1))
printf '\x1f\x8b\x08\x00garbage' >"$dir/broken.csv.gz"; bad=$((bad + 1))
expect_exit 1 "ingest of a mixed folder exits 1" mb ingest --store "$store" --quarantine "$TMP/q" "$dir"
applied=$(sed -n 's/^files: *\([0-9]*\) applied, \([0-9]*\) already seen, \([0-9]*\) rejected.*/\1 \2 \3/p' "$TMP/out")
read -r n_applied n_seen n_rejected <<<"$applied"
check "every good file applied or seen ($n_applied + $n_seen of ${#good[@]})" \
  test "$((n_applied + n_seen))" -eq "${#good[@]}"
check "every bad file rejected ($n_rejected of $bad)" test "$n_rejected" -eq "$bad"
check "rejections are reported with reasons" grep -q "rejected  .*truncated.csv:[0-9]" "$TMP/err"
check "rejected files quarantined" test "$(ls "$TMP/q" | grep -vc '\.reason$')" -eq "$bad"
check "reasons quarantined" test "$(ls "$TMP/q"/*.reason | wc -l)" -eq "$bad"
mb files --store "$store" --rejected >"$TMP/rej"
check "files --rejected lists them" test "$(grep -c rejected "$TMP/rej")" -eq "$bad"
check "reason names file and line" grep -q "truncated.csv:[0-9]" "$TMP/rej"
expect_exit 0 "verify after bad input" mb verify --store "$store"
# Nothing stored before was lost: the first file's content is all there.
mb ingest --quiet --store "$TMP/only_good.db" "${good[@]}" >/dev/null
check "store equals the good files alone" test "$(digest_of "$store")" = "$(digest_of "$TMP/only_good.db")"
check "first ingest digest was non-empty" test -n "$before"
finish
