# heavy_ingest_crash.sh - kill -9 at random moments loses nothing that was
# acknowledged and leaves nothing half-applied. 20+ times: start an ingest,
# SIGKILL it after a random delay, then `verify` must pass and the store's
# digest must equal that of a fresh store holding exactly the files the
# killed store records as applied (so each file is wholly in or wholly
# out). Finally a rerun completes the rest and matches a clean ingest.
source "$(dirname "$0")/lib.sh"
mb gen --meters 300 --days 30 --seed 5 --faults 0.05 --out "$TMP/p" >/dev/null
store=$TMP/crash.db
kills=0
for i in $(seq 1 24); do
  mb ingest --quiet --store "$store" "$TMP/p" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(( (RANDOM % 90) + 5 ))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  [[ -f $store ]] || continue
  if ! mb verify --store "$store" >"$TMP/v" 2>&1; then
    fail "verify after kill $i: $(cat "$TMP/v")"; continue
  fi
  ok
  # The files recorded as applied, re-ingested into a fresh store, must
  # give exactly the killed store's content.
  mb files --store "$store" | awk '$2 == "applied" {print $NF}' >"$TMP/applied"
  ref=$TMP/ref$i.db
  if [[ -s $TMP/applied ]]; then
    mapfile -t applied <"$TMP/applied"
    mb ingest --quiet --store "$ref" "${applied[@]}" >/dev/null 2>&1
    check "kill $i: store holds exactly its applied files" \
      test "$(digest_of "$store")" = "$(digest_of "$ref")"
  fi
  rm -f "$ref" "$ref"-*
done
echo "killed $kills ingests mid-run"
check "at least 20 kills landed ($kills)" test "$kills" -ge 20
mb ingest --quiet --store "$store" "$TMP/p" >/dev/null 2>&1
mb ingest --quiet --store "$TMP/clean.db" "$TMP/p" >/dev/null 2>&1
check "rerun completes: same digest as a clean ingest" \
  test "$(digest_of "$store")" = "$(digest_of "$TMP/clean.db")"
finish
