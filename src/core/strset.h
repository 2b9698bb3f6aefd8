/*
 * strset.h - a set of byte strings (open addressing, FNV-1a), for counting
 * distinct meters, channels or days in one pass over a file.
 *
 * Keys are copied into an arena owned by the set; mb_strset_free releases
 * everything.
 */
#ifndef MB_STRSET_H
#define MB_STRSET_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mb_strset mb_strset;

mb_status mb_strset_new(mb_strset **out, mb_error *err);
void mb_strset_free(mb_strset *s);

/* Adds key (len bytes) if absent; *added says whether it was new. */
mb_status mb_strset_add(mb_strset *s, const void *key, size_t len,
                        int *added, mb_error *err);

size_t mb_strset_count(const mb_strset *s);

#endif
