/*
 * murmur3.h - Cassandra's Murmur3Partitioner token of a partition key.
 *
 * Cassandra hashes the serialized partition key with its own variant of
 * MurmurHash3 x64_128 (seed 0): the tail bytes are read as signed Java
 * bytes, sign-extended before they are shifted in. The token is the first
 * 64-bit half as a signed number, with INT64_MIN mapped to INT64_MAX.
 * cql_cluster.c uses it for token-aware routing.
 */
#ifndef MB_MURMUR3_H
#define MB_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

int64_t mb_murmur3_token(const void *key, size_t len);

#endif
