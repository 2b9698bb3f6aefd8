#!/usr/bin/env bash
# heavy_ha.sh - high availability with real processes (issue #5, docs/ha.md).
#
# Brings up its own 3-node Cassandra cluster (scripts/cassandra) on another
# loopback range and state directory than the shared node, with a keyspace
# at replication factor 3, and drives it with tests/ha/ha_client.c:
#   S1 ingest at QUORUM while node 3 is SIGKILLed: no file left pending,
#      nothing acknowledged lost (read back at QUORUM);
#   S2 node 2 down too: QUORUM fails fast with Unavailable, files stay
#      pending (no registry row), ONE and ANY still write; node 2 back: the
#      pending files complete;
#   S3 node 3 restarts and catches up through hints; reads at ALL succeed
#      and equal what was acknowledged;
#   S4 a fourth node joins while ingest runs at QUORUM: no failure, no loss;
#   S5 node 1 (coordinator and control connection) is SIGKILLed under load:
#      idempotent writes are retried on other nodes; non-idempotent counter
#      increments are not, so the counter never counts one twice.
# S1, S2 and S4 also run `meterbase ingest` on generated NEM12 files through
# the Cassandra store backend (write_cl/read_cl in the store URI), and each
# checks that `meterbase verify` on Cassandra gives the digest of the same
# files ingested into the embedded store.
# Prints one RESULT line per scenario (attempted, failed, retried, lost) and
# asserts lost == 0. Skips (77) when no cluster can be started, unless
# MB_REQUIRE_CASSANDRA=1, then it fails. Bounded by MB_HA_BUDGET seconds
# (default 1200) including cluster start. MB_HA_UNTIL=S1 (S2 ...) stops after
# that scenario (each builds on the cluster state the previous ones left): about 10 minutes on a quiet
# 2-core machine, but every node start (6 of them) slows down a lot when
# other jobs load the machine. Set MB_HA_REPORT=FILE to keep the
# RESULT lines.
set -uo pipefail

: "${MB_BIN:?MB_BIN must name the meterbase binary}"
: "${MB_TOOLS:?MB_TOOLS must name the directory of ha_client}"
: "${MB_TESTS:?MB_TESTS must name the tests directory}"
repo=$(cd "$MB_TESTS/.." && pwd)
cass=$repo/scripts/cassandra
ha=$MB_TOOLS/ha_client
budget=${MB_HA_BUDGET:-1200}

export MB_CASSANDRA_NET=${MB_HA_NET:-127.0.1}
export MB_CASSANDRA_JMX_BASE=${MB_HA_JMX_BASE:-7299}
export MB_CASSANDRA_UNSAFE_SYSTEM=0 # nodes get SIGKILLed: schema must be flushed
# 4 JVMs and other jobs on 2 cores: Paxos rounds (leases, file registry) need
# more than the default 2 s write timeout; Unavailable still fails at once
export MB_CASSANDRA_WRITE_TIMEOUT_MS=6000 MB_CASSANDRA_CAS_TIMEOUT_MS=4000
export MB_CASSANDRA_START_TIMEOUT=${MB_CASSANDRA_START_TIMEOUT:-600} # a loaded 2-core machine
work=$(mktemp -d "${TMPDIR:-/tmp}/mb-ha.XXXXXX")
export MB_STATE_DIR=$work/state
net=$MB_CASSANDRA_NET
hosts=$net.1,$net.2,$net.3
meters=10                           # readings per file: meters * 48
common=(--keyspace mb_ha --meters "$meters")
ack=$work/acknowledged               # files the client saw acknowledged
report=${MB_HA_REPORT:-$work/report}
: >"$report"
emb=$work/embedded.db                # the same files in the embedded store

mb() { "$MB_BIN" "$@"; }
# store URI: hosts, write_cl, read_cl (keyspace mbha, replication factor 3)
uri() { printf 'cassandra://%s/mbha?rf=3&write_cl=%s&read_cl=%s&serial_cl=SERIAL' "$1" "$2" "$3"; }
digest_of() { mb verify --store "$1" 2>&1 | sed -n 's/^digest //p'; }
# a set's files, less the *_neg ones (negative values: rejected as bad data,
# which is not what this suite is about)
set_files() { find "$1" -type f ! -name manifest.txt ! -name '*_neg*' | sort; }

bg_pids=()
keep_logs() { # on failure: the nodes' system.log tails and the client logs
    local keep=${TMPDIR:-/tmp}/mb-ha-failed.$$ d
    mkdir -p "$keep"
    for d in "$MB_STATE_DIR"/cassandra/node*; do
        [[ -f $d/logs/system.log ]] && tail -n 3000 "$d/logs/system.log" >"$keep/${d##*/}-system.log"
    done
    cp "$work"/*.out "$work"/*.err "$work"/*.log "$keep"/ 2>/dev/null
    echo "[heavy_ha] logs kept in $keep"
}
cleanup() {
    local rc=$? p
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
    (( rc != 0 && rc != 77 )) && keep_logs
    # the data goes anyway: SIGKILL rather than a drain of every node
    for p in 1 2 3 4; do "$cass" kill "$p" >/dev/null 2>&1; done
    "$cass" stop --clean >"$work/stop.log" 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

log() { printf '[heavy_ha %4ds] %s\n' "$SECONDS" "$*"; }
fail() { log "FAIL: $*"; exit 1; }
unavailable() {
    if [[ ${MB_REQUIRE_CASSANDRA:-0} == 1 ]]; then fail "$* (MB_REQUIRE_CASSANDRA=1)"; fi
    log "SKIP: $*"
    exit 77
}
over_budget() { (( SECONDS > budget )) && fail "over the time budget of ${budget}s"; }

# kv KEY FILE: the value of KEY=... on the last summary line of FILE
kv() { grep -o "\<$1=[^ ]*" "$2" | tail -n1 | cut -d= -f2; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 3 s
wait_for() {
    local limit=$1 what=$2 t0=$SECONDS; shift 2
    until "$@"; do
        (( SECONDS - t0 >= limit )) && fail "$what: not within ${limit}s"
        over_budget
        sleep 3
    done
    log "$what ($((SECONDS - t0))s)"
}

node_status() { # node_status FROM N: U or D as node FROM sees node N
    "$cass" nodetool "$1" status 2>/dev/null |
        awk -v a="$net.$2" '$2 == a { print substr($1, 1, 1) }'
}
sees_down() { [[ $(node_status "$1" "$2") == D ]]; }
sees_up() { [[ $(node_status "$1" "$2") == U ]]; }
no_hints() { # no_hints N...: none of the nodes holds hints for others
    local n out
    for n in "$@"; do
        out=$("$cass" nodetool "$n" listpendinghints 2>&1) || return 1
        grep -q "does not have any pending hints" <<<"$out" || return 1
    done
}

mismatches() { # blocking read repairs (replicas disagreed) summed over nodes
    local n total=0 v
    for n in "$@"; do
        v=$("$cass" nodetool "$n" netstats 2>/dev/null | sed -n 's/^Mismatch (Blocking): //p')
        [[ $v =~ ^[0-9]+$ ]] || return 1
        total=$((total + v))
    done
    echo "$total"
}

until_done() { # until_done SCENARIO: stop here when MB_HA_UNTIL says so
    if [[ ${MB_HA_UNTIL:-} == "$1" ]]; then
        log "stopping after $1 (MB_HA_UNTIL)"
        cat "$report"
        exit 0
    fi
}

result() { # result SCENARIO attempted failed retried lost notes...
    local line
    line=$(printf 'RESULT %-3s attempted=%-7s failed=%-6s retried=%-5s lost=%s  %s' "$@")
    echo "$line" | tee -a "$report"
    [[ $5 == 0 ]] || fail "$1 lost $5 acknowledged readings"
}

# ---------------------------------------------------------------------------
log "starting a 3-node cluster on $net.1-3 (state $MB_STATE_DIR)"
# reuse the resolved classpath of the default state directory (no mvn run)
default_state=$HOME/.local/state/meterbase
mkdir -p "$MB_STATE_DIR"
cp "$default_state"/cassandra-classpath.{txt,key} "$MB_STATE_DIR"/ 2>/dev/null
if ! "$cass" start --nodes 3 >"$work/start.log" 2>&1; then
    tail -n 30 "$work/start.log"
    unavailable "could not start a 3-node Cassandra cluster on $net.x"
fi
log "cluster up"
"$ha" schema --hosts "$hosts" --rf 3 "${common[@]}" || fail "schema"
# three sets of NEM12 files (with faults: gaps, corrections, duplicates)
mb gen --meters 30 --days 10 --seed 11 --faults 0.1 --out "$work/setA" >/dev/null || fail "gen A"
mb gen --meters 20 --days 3 --seed 12 --start 2024-03-01 --out "$work/setB" >/dev/null || fail "gen B"
mb gen --meters 30 --days 10 --seed 13 --start 2024-05-01 --faults 0.1 --out "$work/setC" >/dev/null || fail "gen C"
mapfile -t setA < <(set_files "$work/setA")
mapfile -t setB < <(set_files "$work/setB")
mapfile -t setC < <(set_files "$work/setC")
# the store creates its keyspace on first use, while every node is up
mb files --store "$(uri "$hosts" QUORUM QUORUM)" >/dev/null || fail "creating the store keyspace"

# mb_ingest OUT URI FILES...: `meterbase ingest` as a pipeline runs it:
# a run that fails (exit 3: nothing of the file in hand applied, the file
# not recorded) is run again, and files already applied are skipped as
# seen, up to 5 runs. OUT gets the output, OUT.runs the exit codes.
mb_ingest() {
    local out=$1 u=$2 i rc=1 codes=(); shift 2
    : >"$out"
    for ((i = 0; i < 5 && rc != 0; i++)); do
        mb ingest --quiet --quarantine "$work/quarantine" --store "$u" "$@" >>"$out" 2>&1; rc=$?
        codes+=("$rc")
        ((rc == 0)) || sleep 2
    done
    echo "${codes[*]}" >"$out.runs"
    return "$rc"
}

# same_digest WHAT READ_CL FILES...: the files into the embedded store, then
# the Cassandra store read at READ_CL must give the same digest
same_digest() {
    local what=$1 rcl=$2 de dc; shift 2
    if (( $# )); then
        mb ingest --quiet --quarantine "$work/quarantine" --store "$emb" "$@" >/dev/null 2>&1 ||
            fail "$what: embedded ingest"
    fi
    de=$(digest_of "$emb")
    dc=$(digest_of "$(uri "$hosts" QUORUM "$rcl")")
    log "$what: verify digest embedded $de, cassandra (read $rcl) $dc"
    [[ -n $de && $de == "$dc" ]] || fail "$what: Cassandra digest differs from the embedded store"
    mb_digest=${dc:0:16}
}

# S1 ------------------------------------------------------------------------
log "S1: ingest at QUORUM, SIGKILL node 3 during it"
"$ha" ingest --hosts "$hosts" --cl QUORUM --first 100000 --stop-file "$work/stop1" \
    --retry-for 60 --inflight 64 --ack "$ack" "${common[@]}" >"$work/s1.out" 2>"$work/s1.err" &
pid=$!; bg_pids+=("$pid")
mb_ingest "$work/m1.out" "$(uri "$hosts" QUORUM QUORUM)" "${setA[@]}" &
mpid=$!; bg_pids+=("$mpid")
sleep 12
kill -0 "$mpid" 2>/dev/null && m_during=yes || m_during=no
"$cass" kill 3
sleep 20
touch "$work/stop1"
wait "$pid"; rc=$?
wait "$mpid"; mrc=$?
cat "$work/s1.out" "$work/m1.out"
[[ $rc == 0 && $(kv pending "$work/s1.out") == 0 ]] || { cat "$work/s1.err"; fail "S1: files left pending"; }
[[ $mrc == 0 ]] || fail "S1: meterbase ingest at QUORUM failed (exit codes of its runs: $(cat "$work/m1.out.runs"))"
[[ $m_during == yes ]] || log "S1: note: meterbase ingest had finished before the kill"
same_digest S1 QUORUM "${setA[@]}"
"$ha" verify --hosts "$hosts" --cl QUORUM --ack "$ack" "${common[@]}" >"$work/v1.out" 2>&1
cat "$work/v1.out"
result S1 "$(kv writes_attempted "$work/s1.out")" "$(kv writes_failed "$work/s1.out")" \
    "$(kv retried "$work/s1.out")" "$(kv lost "$work/v1.out")" \
    "files=$(kv applied "$work/s1.out")/$(kv files "$work/s1.out") pending=0; meterbase ingest ${#setA[@]} files, run exit codes: $(cat "$work/m1.out.runs") (kill during: $m_during), digest = embedded $mb_digest"
grep -q ' ok$' "$work/v1.out" || fail "S1: verify"
until_done S1

# S2 ------------------------------------------------------------------------
log "S2: SIGKILL node 2 as well: 1 of 3 replicas left"
"$cass" kill 2
wait_for 90 "node 1 sees node 2 down" sees_down 1 2
"$ha" ingest --hosts "$hosts" --cl QUORUM --first 200000 --count 4 --retry-for 300 \
    --inflight 64 --ack "$ack" "${common[@]}" >"$work/s2q.out" 2>"$work/s2q.err" &
pid=$!; bg_pids+=("$pid")
sleep 6
head -n 3 "$work/s2q.err"
first=$(head -n1 "$work/s2q.err")
grep -q 'Unavailable: cl=QUORUM required=2 alive=1' <<<"$first" ||
    fail "S2: QUORUM did not fail with Unavailable: $first"
fast=$(sed -n 's/.*slowest failure \([0-9]*\) ms.*/\1/p' <<<"$first")
(( fast < 1000 )) || fail "S2: QUORUM failures took ${fast} ms (not fast)"
registered=$("$MB_BIN" cql --host "$net.1" --consistency ONE \
    "SELECT file FROM mb_ha.files WHERE file IN (200000, 200001, 200002, 200003)" | grep -c '^ *2000')
(( registered == 0 )) || fail "S2: a pending file is registered"
grep -qx '20000[0-3]' "$ack" && fail "S2: a pending file was acknowledged"
t0=$(date +%s%N)
mb ingest --quiet --quarantine "$work/quarantine" --store "$(uri "$hosts" QUORUM QUORUM)" "${setB[@]}" >"$work/m2q.out" 2>&1; mrc=$?
m_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cat "$work/m2q.out"
[[ $mrc == 3 ]] || fail "S2: meterbase ingest at QUORUM with 2 of 3 nodes down: exit $mrc, expected 3"
grep -q 'Unavailable' "$work/m2q.out" || fail "S2: meterbase ingest does not name the cause (Unavailable)"
mb files --store "$(uri "$hosts" ONE ONE)" >"$work/m2files.out" 2>&1 || fail "S2: meterbase files at ONE"
for f in "${setB[@]}"; do
    grep -F "$(basename "$f")" "$work/m2files.out" | grep -qi applied && fail "S2: $(basename "$f") recorded as applied"
done
# readings at ONE still go in; the file registry is a lightweight
# transaction, which needs a quorum of replicas whatever write_cl says
mb ingest --quiet --quarantine "$work/quarantine" --store "$(uri "$hosts" ONE ONE)" "${setB[@]}" >"$work/m2one.out" 2>&1; m1rc=$?
cat "$work/m2one.out"
m_one=$([[ $m1rc == 0 ]] && echo "applied" || echo "exit $m1rc: $(grep -o 'Unavailable[^(]*' "$work/m2one.out" | head -n1)")
for cl in ONE ANY; do
    first_file=$([[ $cl == ONE ]] && echo 210000 || echo 220000)
    "$ha" ingest --hosts "$hosts" --cl "$cl" --first "$first_file" --count 3 --retry-for 0 \
        --inflight 64 --ack "$ack" "${common[@]}" >"$work/s2$cl.out" 2>&1 ||
        { cat "$work/s2$cl.out"; fail "S2: writes at $cl failed with one replica up"; }
    cat "$work/s2$cl.out"
done
log "S2: node 2 comes back; the pending QUORUM files must complete"
"$cass" restart 2 >"$work/restart2.log" 2>&1 || { cat "$work/restart2.log"; fail "restart node 2"; }
wait "$pid"; rc=$?
cat "$work/s2q.out"
[[ $rc == 0 && $(kv pending "$work/s2q.out") == 0 ]] || { tail "$work/s2q.err"; fail "S2: files still pending after node 2 came back"; }
mb_ingest "$work/m2b.out" "$(uri "$hosts" QUORUM QUORUM)" "${setB[@]}" ||
    { cat "$work/m2b.out"; fail "S2: meterbase ingest at QUORUM after node 2 came back"; }
same_digest S2 QUORUM "${setB[@]}"
"$ha" verify --hosts "$hosts" --cl QUORUM --ack "$ack" "${common[@]}" >"$work/v2.out" 2>&1
cat "$work/v2.out"
att=0 fl=0 rt=0
for f in "$work"/s2{q,ONE,ANY}.out; do
    att=$((att + $(kv writes_attempted "$f"))); fl=$((fl + $(kv writes_failed "$f"))); rt=$((rt + $(kv retried "$f")))
done
result S2 "$att" "$fl" "$rt" "$(kv lost "$work/v2.out")" \
    "QUORUM fails in ${fast} ms (Unavailable); files pending=4 then 0 after restart; ONE 3/3, ANY 3/3 files; meterbase ingest QUORUM exit 3 in ${m_ms} ms, write_cl=ONE: $m_one; after restart applied (run exit codes: $(cat "$work/m2b.out.runs")), digest = embedded $mb_digest"
grep -q ' ok$' "$work/v2.out" || fail "S2: verify"
until_done S2

# S3 ------------------------------------------------------------------------
log "S3: node 3 restarts and catches up (hints)"
"$cass" restart 3 >"$work/restart3.log" 2>&1 || { cat "$work/restart3.log"; fail "restart node 3"; }
wait_for 60 "nodes 1 and 2 see node 3 up" eval 'sees_up 1 3 && sees_up 2 3'
wait_for 180 "hints delivered to node 3" no_hints 1 2
mm0=$(mismatches 1 2 3) || fail "S3: nodetool netstats"
"$ha" verify --hosts "$hosts" --cl ALL --ack "$ack" "${common[@]}" >"$work/v3.out" 2>&1
cat "$work/v3.out"
same_digest S3 ALL
mm1=$(mismatches 1 2 3) || fail "S3: nodetool netstats"
# Hints are best effort (repair is the guarantee): report how many
# partitions still differed; the ALL reads repaired them before answering.
log "S3: blocking read repairs while reading at ALL: $((mm1 - mm0)) (0: the three replicas already agreed)"
result S3 "$(kv readings "$work/v3.out")" "$(kv read_failures "$work/v3.out")" 0 "$(kv lost "$work/v3.out")" \
    "reads at ALL over $(kv files "$work/v3.out") files: digest equal to the acknowledged data; partitions repaired by the ALL reads $((mm1 - mm0)); meterbase verify at ALL = embedded $mb_digest"
grep -q ' ok$' "$work/v3.out" || fail "S3: reads at ALL"
until_done S3

# S4 ------------------------------------------------------------------------
log "S4: a fourth node joins while ingest runs at QUORUM"
"$ha" ingest --hosts "$hosts" --cl QUORUM --first 300000 --stop-file "$work/stop4" \
    --retry-for 60 --inflight 64 --pause-ms 500 --ack "$ack" "${common[@]}" >"$work/s4.out" 2>"$work/s4.err" &
pid=$!; bg_pids+=("$pid")
mb_ingest "$work/m4.out" "$(uri "$hosts" QUORUM QUORUM)" "${setC[@]}" &
mpid=$!; bg_pids+=("$mpid")
sleep 5
"$cass" add >"$work/add.log" 2>&1 || { cat "$work/add.log"; fail "adding node 4"; }
tail -n1 "$work/add.log"
sleep 15 # the client hears of the new node and sends it requests
touch "$work/stop4"
wait "$pid"; rc=$?
cat "$work/s4.out"
[[ $rc == 0 && $(kv pending "$work/s4.out") == 0 ]] || { tail "$work/s4.err"; fail "S4: files left pending"; }
[[ $(kv nodes_up "$work/s4.out") == 4 ]] || fail "S4: the client does not see 4 nodes up"
wait "$mpid"; mrc=$?
cat "$work/m4.out"
[[ $mrc == 0 ]] || fail "S4: meterbase ingest during the join failed (exit codes of its runs: $(cat "$work/m4.out.runs"))"
same_digest S4 ALL "${setC[@]}"
"$ha" verify --hosts "$hosts" --cl ALL --ack "$ack" "${common[@]}" >"$work/v4.out" 2>&1
cat "$work/v4.out"
result S4 "$(kv writes_attempted "$work/s4.out")" "$(kv writes_failed "$work/s4.out")" \
    "$(kv retried "$work/s4.out")" "$(kv lost "$work/v4.out")" \
    "files=$(kv applied "$work/s4.out")/$(kv files "$work/s4.out"); client sees $(kv nodes_up "$work/s4.out") nodes up; read back at ALL; meterbase ingest ${#setC[@]} files, run exit codes: $(cat "$work/m4.out.runs"), digest = embedded $mb_digest"
grep -q ' ok$' "$work/v4.out" || fail "S4: verify"
until_done S4

# S5 ------------------------------------------------------------------------
log "S5: SIGKILL node 1 (coordinator, seed, control connection) under load"
hosts4=$hosts,$net.4
"$ha" ingest --hosts "$hosts4" --cl QUORUM --first 400000 --stop-file "$work/stop5" \
    --retry-for 60 --inflight 256 --ack "$ack" "${common[@]}" >"$work/s5.out" 2>"$work/s5.err" &
pid=$!; bg_pids+=("$pid")
"$ha" counter --hosts "$hosts4" --cl QUORUM --key s5 --stop-file "$work/stop5" \
    "${common[@]}" >"$work/s5c.out" 2>"$work/s5c.err" &
cpid=$!; bg_pids+=("$cpid")
sleep 10
"$cass" kill 1
sleep 15
touch "$work/stop5"
wait "$pid"; rc=$?
wait "$cpid"; crc=$?
cat "$work/s5.out" "$work/s5c.out"
[[ $rc == 0 && $(kv pending "$work/s5.out") == 0 ]] || { tail "$work/s5.err"; fail "S5: files left pending"; }
(( $(kv retried "$work/s5.out") > 0 )) || fail "S5: no write was retried (was any in flight on node 1?)"
[[ $crc == 0 ]] || { cat "$work/s5c.err"; fail "S5: counter check"; }
"$ha" verify --hosts "$net.2,$net.3,$net.4" --cl QUORUM --ack "$ack" "${common[@]}" >"$work/v5.out" 2>&1
cat "$work/v5.out"
result S5 "$(( $(kv writes_attempted "$work/s5.out") + $(kv attempted "$work/s5c.out") ))" \
    "$(( $(kv writes_failed "$work/s5.out") + $(kv failed "$work/s5c.out") ))" \
    "$(kv retried "$work/s5.out")" "$(( $(kv lost "$work/v5.out") + $(kv lost "$work/s5c.out") ))" \
    "idempotent writes retried=$(kv retried "$work/s5.out"); counter: attempted=$(kv attempted "$work/s5c.out") acked=$(kv acked "$work/s5c.out") counted=$(kv counted "$work/s5c.out") twice=$(kv twice "$work/s5c.out")"
grep -q ' ok$' "$work/v5.out" || fail "S5: verify"
[[ $(kv twice "$work/s5c.out") == 0 ]] || fail "S5: an increment took effect twice"

log "all scenarios passed in ${SECONDS}s"
cat "$report"
