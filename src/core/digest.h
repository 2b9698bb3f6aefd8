/*
 * digest.h - content digests (SHA-256) of files and byte strings.
 *
 * The platform remembers every file it has seen by the digest of its
 * bytes, so the same content under another name is recognised as a replay.
 */
#ifndef MB_DIGEST_H
#define MB_DIGEST_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define MB_DIGEST_HEX 65 /* 64 hex digits and a NUL */

/* SHA-256 of a file's bytes as lowercase hex; *size gets its length. */
mb_status mb_digest_file(const char *path, char hex[MB_DIGEST_HEX],
                         uint64_t *size, mb_error *err);

/* Incremental SHA-256 over byte strings (used by mb_store_verify). */
typedef struct mb_digest mb_digest;
mb_status mb_digest_new(mb_digest **out, mb_error *err);
void mb_digest_update(mb_digest *d, const void *data, size_t len);
/* Writes the hex digest and frees d. */
void mb_digest_final(mb_digest *d, char hex[MB_DIGEST_HEX]);

#endif
