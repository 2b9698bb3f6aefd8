# heavy_ingest_crash.sh - kill -9 at random moments loses nothing that was
# acknowledged and leaves nothing half-applied. Until 20 kills have landed
# mid-ingest (at most 48 tries), each on a fresh store:
# start an ingest, SIGKILL it at a random moment within half the time a
# clean ingest takes; then `verify` must pass, the store's digest must equal that
# of a fresh store holding exactly the files the killed store records as
# applied (so each file is wholly in or wholly out), and rerunning the
# ingest must complete the rest (taking over the dead process's leases at
# once) and match a clean ingest.
source "$(dirname "$0")/lib.bash"
mb gen --meters 200 --days 30 --seed 5 --faults 0.05 --out "$TMP/p" >/dev/null
rm -f "$TMP/p/manifest.txt"
t0=$(date +%s%N)
mb ingest --quiet --store "$TMP/clean.db" "$TMP/p" >/dev/null 2>&1
clean_ms=$((($(date +%s%N) - t0) / 1000000))
clean=$(digest_of "$TMP/clean.db")
echo "a clean ingest takes ${clean_ms} ms"
kills=0
for i in $(seq 1 48); do
  ((kills >= 20)) && break
  store=$TMP/crash$i.db
  delay_ms=$((10 + RANDOM % (clean_ms / 2 + 1)))
  "$MB_BIN" ingest --quiet --store "$store" "$TMP/p" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  if [[ -f $store ]]; then
    if mb verify --store "$store" >"$TMP/v" 2>&1; then ok; else
      fail "verify after kill $i at ${delay_ms} ms: $(cat "$TMP/v")"
    fi
    # The files recorded as applied, ingested into a fresh store, must give
    # exactly the killed store's content.
    mb files --store "$store" | awk '$2 == "applied" {print $NF}' >"$TMP/applied"
    ref=$TMP/ref$i.db
    mapfile -t applied <"$TMP/applied"
    if ((${#applied[@]})); then
      mb ingest --quiet --store "$ref" "${applied[@]}" >/dev/null 2>&1
      check "kill $i at ${delay_ms} ms: store holds exactly its ${#applied[@]} applied files" \
        test "$(digest_of "$store")" = "$(digest_of "$ref")"
    fi
  fi
  mb ingest --quiet --store "$store" "$TMP/p" >/dev/null 2>&1
  check "kill $i: rerun completes to the clean digest" test "$(digest_of "$store")" = "$clean"
  rm -f "$store" "$store"-* "$TMP/ref$i.db" "$TMP/ref$i.db"-*
done
echo "killed $kills ingests mid-run"
check "at least 20 kills landed ($kills)" test "$kills" -ge 20
finish
