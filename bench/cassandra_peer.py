# bench/cassandra_peer.py - the peer of bench/cassandra: the DataStax Python
# driver writing the same rows as `meterbase ingest --store cassandra://`
# writes into a fresh keyspace: for every interval value one row of
# `current` (USING TIMESTAMP version) and one of `history`, with the same
# key, version and value encoding (enc_value in src/store/store_cassandra.c).
#
#   python cassandra_peer.py HOST PORT KEYSPACE CONCURRENCY < canonical.csv
#
# Reads `meterbase parse` CSV on stdin and prepares every bound row first
# (not timed), then times only the writes: prepared statements through
# execute_concurrent. Prints "rows seconds".
import calendar
import struct
import sys
import time
from datetime import datetime
from decimal import Decimal

from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import ConsistencyLevel

host, port, ks, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

def epoch(iso):
    return int(datetime.fromisoformat(iso).timestamp())

def enc(value, flag, method, reason):
    d = Decimal(value)
    sign, digits, exp = d.as_tuple()
    scale = -exp if exp < 0 else 0
    units = int(d.scaleb(scale))
    u = (units & 0xFFFFFFFFFFFFFFFF) ^ (1 << 63)
    return struct.pack(">QBBBH", u, scale, ord(flag), int(method or 0),
                       int(reason) if reason else 0xFFFF)

def month(t):
    tm = time.gmtime(t)
    return tm.tm_year * 12 + tm.tm_mon - 1

rows = []
header = sys.stdin.readline()
for line in sys.stdin:
    f = line.rstrip("\n").split(",")
    meter, channel, start, end, value, unit, q, method, reason, version = f[:10]
    t0, t1 = epoch(start), epoch(end)
    ver = int(datetime.fromisoformat(version).timestamp() * 1000000)
    rows.append((meter, channel, t1 - t0, month(t0), t0, ver,
                 enc(value, q, method, reason), ver))

cluster = Cluster([host], port=port)
session = cluster.connect()
cols = "(meter, channel, step, bucket, start, version, v) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"
cur = session.prepare(f"INSERT INTO {ks}.current {cols}")
hist = session.prepare(f"INSERT INTO {ks}.history {cols}")
cur.consistency_level = hist.consistency_level = ConsistencyLevel.QUORUM

t = time.perf_counter()
for stmt in (cur, hist):
    for ok, res in execute_concurrent_with_args(session, stmt, rows,
                                                concurrency=conc,
                                                raise_on_first_error=True):
        pass
secs = time.perf_counter() - t
cluster.shutdown()
print(len(rows) * 2, secs)
