/*
 * strset.c - open-addressing set of byte strings (see strset.h).
 *
 * Slots hold the key's hash and its offset in one growing arena; the table
 * doubles at 50% load so probes stay short.
 */
#include "core/strset.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    size_t off; /* offset of [len:4][bytes] in the arena; 0 = empty */
} slot;

struct mb_strset {
    slot *slots;
    size_t mask, count;
    char *arena;
    size_t used, cap;
};

static uint64_t fnv1a(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

mb_status mb_strset_new(mb_strset **out, mb_error *err)
{
    mb_strset *s = calloc(1, sizeof *s);
    if (!s || !(s->slots = calloc(1024, sizeof *s->slots)) ||
        !(s->arena = malloc(1 << 16))) {
        if (s)
            free(s->slots);
        free(s);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    s->mask = 1023;
    s->cap = 1 << 16;
    s->used = 1; /* offset 0 means an empty slot */
    *out = s;
    return MB_OK;
}

void mb_strset_free(mb_strset *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s->arena);
    free(s);
}

static int same(const mb_strset *s, size_t off, const void *key, size_t len)
{
    uint32_t klen;
    memcpy(&klen, s->arena + off, sizeof klen);
    return klen == len && !memcmp(s->arena + off + sizeof klen, key, len);
}

static mb_status grow(mb_strset *s, mb_error *err)
{
    size_t n = (s->mask + 1) * 2;
    slot *ns = calloc(n, sizeof *ns);
    if (!ns)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    for (size_t i = 0; i <= s->mask; i++) {
        if (!s->slots[i].off)
            continue;
        size_t j = s->slots[i].hash & (n - 1);
        while (ns[j].off)
            j = (j + 1) & (n - 1);
        ns[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = ns;
    s->mask = n - 1;
    return MB_OK;
}

mb_status mb_strset_add(mb_strset *s, const void *key, size_t len,
                        int *added, mb_error *err)
{
    if (len > UINT32_MAX)
        return mb_error_set(err, MB_EINVAL, "key too long");
    uint64_t h = fnv1a(key, len);
    size_t i = h & s->mask;
    for (; s->slots[i].off; i = (i + 1) & s->mask)
        if (s->slots[i].hash == h && same(s, s->slots[i].off, key, len)) {
            *added = 0;
            return MB_OK;
        }
    size_t need = sizeof(uint32_t) + len;
    if (s->used + need > s->cap) {
        size_t ncap = s->cap * 2;
        while (s->used + need > ncap)
            ncap *= 2;
        char *na = realloc(s->arena, ncap);
        if (!na)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        s->arena = na;
        s->cap = ncap;
    }
    uint32_t klen = (uint32_t)len;
    memcpy(s->arena + s->used, &klen, sizeof klen);
    memcpy(s->arena + s->used + sizeof klen, key, len);
    s->slots[i].hash = h;
    s->slots[i].off = s->used;
    s->used += need;
    s->count++;
    *added = 1;
    if (s->count * 2 > s->mask + 1)
        return grow(s, err);
    return MB_OK;
}

size_t mb_strset_count(const mb_strset *s) { return s->count; }
