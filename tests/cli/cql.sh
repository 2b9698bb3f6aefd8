#!/bin/bash
# cql.sh - `meterbase cql`: usage errors always; statements against the
# node at $MB_CQL_HOSTS (default 127.0.0.1:9042) when one answers, else skip.
set -u
fail() { echo "FAIL: $*"; exit 1; }

"$MB_BIN" cql --help | grep -q "usage: meterbase cql" || fail "--help"
"$MB_BIN" cql >/dev/null 2>&1; [[ $? == 2 ]] || fail "no statement is a usage error"
"$MB_BIN" cql --consistency MOST "SELECT 1" >/dev/null 2>&1
[[ $? == 2 ]] || fail "bad consistency is a usage error"
"$MB_BIN" cql --host 127.0.0.1:1 "SELECT now() FROM system.local" 2>/dev/null
[[ $? == 3 ]] || fail "no server is an operational failure"

hostport=${MB_CQL_HOSTS:-127.0.0.1:9042}
hostport=${hostport%%,*}
if ! (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null; then
    [[ ${MB_REQUIRE_CASSANDRA:-0} == 1 ]] && fail "no Cassandra at $hostport"
    echo "skipped: no Cassandra at $hostport"
    exit 77
fi
out=$("$MB_BIN" cql "SELECT key, cluster_name FROM system.local") ||
    fail "select system.local"
grep -q "^ key " <<<"$out" || fail "no header in: $out"
grep -q "(1 rows)" <<<"$out" || fail "no row count in: $out"
"$MB_BIN" cql "CREATE KEYSPACE IF NOT EXISTS mb_cql_cli WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" | grep -q "^OK" ||
    fail "create keyspace"
"$MB_BIN" cql "CREATE TABLE IF NOT EXISTS mb_cql_cli.t (p int, c int, v text, PRIMARY KEY (p, c))" >/dev/null ||
    fail "create table"
"$MB_BIN" cql "BEGIN UNLOGGED BATCH $(for i in $(seq 1 25); do echo "INSERT INTO mb_cql_cli.t (p, c, v) VALUES (1, $i, 'v$i');"; done) APPLY BATCH" >/dev/null ||
    fail "batch insert"
out=$("$MB_BIN" cql --page-size 10 --consistency one "SELECT c, v FROM mb_cql_cli.t WHERE p = 1") ||
    fail "paged select"
grep -q "(25 rows)" <<<"$out" || fail "paging lost rows: $out"
grep -q " 25 | v25" <<<"$out" || fail "last row missing: $out"
err=$("$MB_BIN" cql "SELEC broken" 2>&1 >/dev/null); rc=$?
[[ $rc == 3 ]] && grep -q SyntaxError <<<"$err" || fail "syntax error: rc=$rc $err"
echo "ok"
