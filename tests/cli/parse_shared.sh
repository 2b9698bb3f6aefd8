# parse_shared.sh - `meterbase parse` over the AEMO example files: every
# valid file reads; in strict mode every invalid one is rejected with a
# reason naming the file (the empty NEM12 reads with a warning); lenient
# mode reads the unambiguous quirks and still rejects the ambiguous ones.
source "$(dirname "$0")/lib.bash"
nem=$MB_SHARED/data/nem
if [[ ! -d $nem ]]; then echo "skip: $nem absent"; exit 77; fi

for f in "$nem"/valid/*; do
  expect_exit 0 "parse $(basename "$f")" mb parse "$f"
  check "$(basename "$f") has readings" test "$(wc -l <"$TMP/out")" -gt 1
  expect_exit 0 "parse --summary $(basename "$f")" mb parse --summary "$f"
  expect_exit 0 "parse --output jsonl $(basename "$f")" mb parse --output jsonl "$f"
done
for f in "$nem"/invalid/*; do
  b=$(basename "$f")
  if [[ $b == Example_NEM12_empty.csv ]]; then
    expect_exit 0 "empty NEM12 reads" mb parse "$f"
    check "empty NEM12 warns" grep -qi "no data\|empty" "$TMP/err"
    continue
  fi
  expect_exit 1 "strict rejects $b" mb parse "$f"
  check "error for $b names the file" grep -q "$b" "$TMP/err"
done
# Lenient: unambiguous quirks are read...
for b in Example_NEM12_missing_header.csv; do
  mb parse --lenient "$nem/invalid/$b" >"$TMP/out" 2>"$TMP/err"
  check "lenient reads $b" test "$(wc -l <"$TMP/out")" -gt 1
done
# ...ambiguous ones still are not (records skipped: exit 1).
for b in Example_NEM12_15min_200_30min_300.csv Example_NEM12_30min_200_15min_400.csv; do
  expect_exit 1 "lenient still rejects $b" mb parse --lenient "$nem/invalid/$b"
done
# gzip, zip and stdin give the same readings as the plain file.
f=$nem/valid/Example_NEM12_multiple_meters.csv
mb parse "$f" >"$TMP/plain.csv"
gzip -c "$f" >"$TMP/m.csv.gz"
(cd "$TMP" && cp "$f" m.csv && zip -q m.zip m.csv)
mb parse "$TMP/m.csv.gz" >"$TMP/gz.csv"
mb parse "$TMP/m.zip" >"$TMP/zip.csv"
mb parse - <"$f" >"$TMP/stdin.csv"
check "gzip same readings" cmp -s "$TMP/plain.csv" "$TMP/gz.csv"
check "zip same readings" cmp -s "$TMP/plain.csv" "$TMP/zip.csv"
check "stdin same readings" cmp -s "$TMP/plain.csv" "$TMP/stdin.csv"
# Canonical output reads back as CSV and gives the same readings.
mb parse --full "$f" >"$TMP/full.csv"
mb parse --full "$TMP/full.csv" >"$TMP/again.csv"
check "canonical CSV round trip" cmp -s "$TMP/full.csv" "$TMP/again.csv"
# Usage errors exit 2.
expect_exit 2 "unknown option" mb parse --bogus "$f"
expect_exit 2 "unknown format" mb parse --format xml "$f"
expect_exit 3 "missing file" mb parse /nonexistent/file.csv
finish
