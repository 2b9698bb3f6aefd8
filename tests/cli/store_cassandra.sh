# store_cassandra.sh - the Cassandra store backend against a real node:
# the store conformance suite with a cassandra:// URI (a fresh keyspace per
# test), then through the command line: the same generated portfolio with
# faults (interval and register formats) ingested into the embedded store
# and into Cassandra gives the same `verify` digest and the same `reads
# --history` and `report` output; replays in another order and a second
# pass change nothing; files are listed with the same outcomes.
#
# Node: MB_CQL_HOSTS (default 127.0.0.1:9042). When no node answers the
# test is skipped (77), or fails when MB_REQUIRE_CASSANDRA=1. Keyspaces are
# named meterbase_test_<pid>_* and dropped at the end.
source "$(dirname "$0")/lib.bash"
HOSTS=${MB_CQL_HOSTS:-127.0.0.1:9042}
CONF=$(dirname "$MB_BIN")/tests/test_store_conformance
PREFIX=meterbase_test_$$
if ! mb cql --host "$HOSTS" "SELECT release_version FROM system.local" \
     >"$TMP/ping" 2>&1; then
  if [[ ${MB_REQUIRE_CASSANDRA:-0} == 1 ]]; then
    echo "FAIL: no Cassandra node answers at $HOSTS (MB_REQUIRE_CASSANDRA=1)" >&2
    cat "$TMP/ping" >&2
    exit 1
  fi
  echo "skip: no Cassandra node answers at $HOSTS (scripts/cassandra start)"
  exit 77
fi
drop_keyspaces() {
  local ks
  for ks in $(mb cql --host "$HOSTS" "SELECT keyspace_name FROM system_schema.keyspaces" |
              awk -v p="$PREFIX" 'index($1, p) == 1 {print $1}'); do
    mb cql --host "$HOSTS" "DROP KEYSPACE IF EXISTS $ks" >/dev/null ||
      echo "could not drop keyspace $ks" >&2
  done
}
trap 'drop_keyspaces; rm -rf "$TMP"' EXIT
uri() { echo "cassandra://$HOSTS/${PREFIX}_$1?rf=1&write_cl=QUORUM&read_cl=QUORUM&serial_cl=SERIAL"; }

# 1. The conformance suite, unchanged, on Cassandra.
if [[ -x $CONF ]]; then
  "$CONF" "$(uri '{}')" >"$TMP/conf" 2>&1
  check "conformance suite on cassandra:// ($(tail -1 "$TMP/conf"))" test $? -eq 0
  grep -E '^(FAIL|check failed)|failed:' "$TMP/conf" | head -20 >&2
else
  fail "conformance binary not found at $CONF"
fi

# 2. Bad URIs are refused with a reason (exit 3: the store cannot open).
expect_exit 3 "unknown option" mb verify --store "cassandra://$HOSTS/${PREFIX}_x?password=sekret&color=red"
check "unknown option named" grep -q "unknown option color" "$TMP/err"
check "no password in messages" bash -c "! grep -q sekret '$TMP/err'"
expect_exit 3 "read_cl=ANY refused" mb verify --store "cassandra://$HOSTS/${PREFIX}_x?read_cl=ANY"

# 3. Cross-backend: same files, same digest, same reads.
mb gen --meters 12 --days 40 --seed 5 --faults 0.2 --out "$TMP/p12" >/dev/null
mb gen --meters 6 --days 70 --seed 6 --faults 0.2 --format nem13 --out "$TMP/p13" >/dev/null
mb gen --meters 5 --days 35 --seed 7 --faults 0.2 --format d0010 --out "$TMP/pd" >/dev/null
mapfile -t files < <(find "$TMP/p12" "$TMP/p13" "$TMP/pd" -type f ! -name manifest.txt | sort)
check "generated files (${#files[@]})" test "${#files[@]}" -gt 20
C=$(uri cli)
E=$TMP/e.db
mb ingest --quiet --store "$E" "${files[@]}" >"$TMP/ie" 2>&1
mb ingest --quiet --store "$C" "${files[@]}" >"$TMP/ic" 2>&1
check "ingest summary identical on both backends" \
  diff <(grep -E '^(files|readings):' "$TMP/ie") <(grep -E '^(files|readings):' "$TMP/ic")
de=$(digest_of "$E") dc=$(digest_of "$C")
check "verify digest equal: embedded $de, cassandra $dc" test -n "$de" -a "$de" = "$dc"
mb verify --store "$E" | head -1 >"$TMP/ve"
mb verify --store "$C" | head -1 >"$TMP/vc"
check "verify counts equal" diff "$TMP/ve" "$TMP/vc"
# a replay in reverse order, twice, changes nothing
mapfile -t rev < <(printf '%s\n' "${files[@]}" | sort -r)
mb ingest --quiet --store "$C" "${rev[@]}" >"$TMP/out" 2>&1
check "second pass applies nothing" grep -q "^files: *0 applied" "$TMP/out"
check "digest unchanged after replay" test "$(digest_of "$C")" = "$dc"
# the same files in reverse order into a fresh keyspace: same digest
C2=$(uri rev)
mb ingest --quiet --store "$C2" "${rev[@]}" >/dev/null 2>&1
check "reverse order into a fresh keyspace: same digest" test "$(digest_of "$C2")" = "$de"
# reads, with history, of every meter: byte for byte the same
mapfile -t meters < <(mb parse "${files[@]}" 2>/dev/null | cut -d, -f1 | grep -v '^meter$' | sort -u)
check "meters found (${#meters[@]})" test "${#meters[@]}" -ge 15
same=0
for meter in "${meters[@]}"; do
  mb reads "$meter" --store "$E" --from 2023-12-01 --to 2024-04-01 --history --output csv >"$TMP/re" 2>&1
  mb reads "$meter" --store "$C" --from 2023-12-01 --to 2024-04-01 --history --output csv >"$TMP/rc" 2>&1
  if cmp -s "$TMP/re" "$TMP/rc" && (($(wc -l <"$TMP/rc") > 1)); then
    same=$((same + 1))
  else
    fail "reads --history of $meter differ or are empty"; diff "$TMP/re" "$TMP/rc" | head -5 >&2
  fi
done
check "reads equal for all ${#meters[@]} meters ($same)" test "$same" -eq "${#meters[@]}"
mb report --store "$E" >"$TMP/pe" 2>&1
mb report --store "$C" >"$TMP/pc" 2>&1
check "report equal" diff "$TMP/pe" "$TMP/pc"
# files: same outcomes and counts (times differ)
mb files --store "$E" | grep -v '^ *reason' | awk '{$1=""; print}' | sort >"$TMP/fe"
mb files --store "$C" | grep -v '^ *reason' | awk '{$1=""; print}' | sort >"$TMP/fc"
check "files listing equal apart from times" diff "$TMP/fe" "$TMP/fc"
check "files lists applied files" grep -q applied "$TMP/fc"
finish
