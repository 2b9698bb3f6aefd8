# heavy_parse_memory.sh - readers stream: peak memory stays flat whatever
# the file size. A generated NEM12 file of several hundred MB is read from
# disk, gzipped on stdin, and as canonical CSV output, each with a small,
# bounded peak RSS.
source "$(dirname "$0")/lib.bash"
limit_kb=$((64 * 1024))
peak_kb() { # command... : prints the peak RSS in kB of the command
  /usr/bin/time -f '%M' -o "$TMP/rss" "$@" >/dev/null 2>"$TMP/err"
  local rc=$?
  cat "$TMP/rss" | tail -1
  return $rc
}
mb gen --meters 400000 --days 1 --format nem12 --seed 7 --out "$TMP/big" >/dev/null
f=$(ls "$TMP"/big/*.csv | head -1)
size=$(stat -c %s "$f")
check "generated file is several hundred MB ($size bytes)" test "$size" -gt 150000000
small_dir=$TMP/small
mb gen --meters 1000 --days 1 --format nem12 --seed 7 --out "$small_dir" >/dev/null
small=$(ls "$small_dir"/*.csv | head -1)

rss_small=$(peak_kb "$MB_BIN" parse --summary "$small")
rss_big=$(peak_kb "$MB_BIN" parse --summary "$f")
echo "peak RSS: summary of $(stat -c %s "$small") bytes: ${rss_small} kB; of $size bytes: ${rss_big} kB"
check "summary peak RSS bounded (${rss_big} kB)" test "$rss_big" -lt "$limit_kb"
rss_out=$(peak_kb "$MB_BIN" parse "$f")
echo "peak RSS: canonical output of $size bytes: ${rss_out} kB"
check "output peak RSS bounded (${rss_out} kB)" test "$rss_out" -lt "$limit_kb"
gzip -1 -c "$f" >"$TMP/big.csv.gz"
rm -f "$f"
/usr/bin/time -f '%M' -o "$TMP/rss" sh -c "\"$MB_BIN\" parse --summary - <\"$TMP/big.csv.gz\" >/dev/null"
rss_gz=$(tail -1 "$TMP/rss")
echo "peak RSS: gzip on stdin: ${rss_gz} kB"
check "gzip stdin peak RSS bounded (${rss_gz} kB)" test "$rss_gz" -lt "$limit_kb"
finish
