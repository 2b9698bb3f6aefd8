/*
 * strset.c - open-addressing set of byte strings (see strset.h).
 *
 * Keys live one after the other in a growing arena as [len:4][bytes]. While
 * they arrive in ascending byte order (meters in a sorted file) a new key
 * only has to be compared with the last one, so no index is kept; the
 * first key out of order builds the hash index over the arena. Slots hold
 * the key's hash and its arena offset; the table doubles at 50% load so
 * probes stay short.
 */
#include "core/strset.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    uint32_t off; /* offset of [len:4][bytes] in the arena; 0 = empty */
    uint32_t id;  /* order of first addition */
} slot;

struct mb_strset {
    slot *slots; /* NULL while the keys are in ascending order */
    size_t mask, count;
    char *arena;
    size_t used, cap;
    size_t last; /* arena offset of the last key added */
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
    if (!s || !(s->arena = malloc(1 << 16))) {
        free(s);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
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

/* Puts slot v into the table ns of n slots (a power of two). */
static void place(slot *ns, size_t n, slot v)
{
    size_t j = v.hash & (n - 1);
    while (ns[j].off)
        j = (j + 1) & (n - 1);
    ns[j] = v;
}

static mb_status grow(mb_strset *s, mb_error *err)
{
    size_t n = (s->mask + 1) * 2;
    slot *ns = calloc(n, sizeof *ns);
    if (!ns)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    for (size_t i = 0; i <= s->mask; i++)
        if (s->slots[i].off)
            place(ns, n, s->slots[i]);
    free(s->slots);
    s->slots = ns;
    s->mask = n - 1;
    return MB_OK;
}

/* The first key out of order: index every key of the arena. */
static mb_status build_index(mb_strset *s, mb_error *err)
{
    size_t n = 1024;
    while (n < s->count * 4)
        n *= 2;
    if (!(s->slots = calloc(n, sizeof *s->slots)))
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    s->mask = n - 1;
    size_t off = 1;
    for (uint32_t id = 0; id < s->count; id++) {
        uint32_t klen;
        memcpy(&klen, s->arena + off, sizeof klen);
        place(s->slots, n, (slot){fnv1a(s->arena + off + sizeof klen, klen),
                                  (uint32_t)off, id});
        off += sizeof klen + klen;
    }
    return MB_OK;
}

/* Compares key with the last key added: <0, 0 or >0, as memcmp. */
static int cmp_last(const mb_strset *s, const void *key, size_t len)
{
    uint32_t klen;
    memcpy(&klen, s->arena + s->last, sizeof klen);
    int c = memcmp(key, s->arena + s->last + sizeof klen,
                   len < klen ? len : klen);
    return c ? c : (len > klen) - (len < klen);
}

/* Copies key into the arena; returns its offset through *off. */
static mb_status append(mb_strset *s, const void *key, size_t len,
                        size_t *off, mb_error *err)
{
    size_t need = sizeof(uint32_t) + len;
    if (s->used + need > UINT32_MAX)
        return mb_error_set(err, MB_ERANGE, "string set over 4 GiB");
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
    *off = s->last = s->used;
    s->used += need;
    return MB_OK;
}

mb_status mb_strset_add(mb_strset *s, const void *key, size_t len,
                        int *added, size_t *id, mb_error *err)
{
    if (len > UINT16_MAX)
        return mb_error_set(err, MB_EINVAL, "key too long");
    size_t off;
    mb_status st;
    if (!s->slots) {
        int c = s->count ? cmp_last(s, key, len) : 1;
        if (c == 0) {
            *added = 0;
            if (id)
                *id = s->count - 1;
            return MB_OK;
        }
        if (c > 0) {
            if ((st = append(s, key, len, &off, err)))
                return st;
            if (id)
                *id = s->count;
            s->count++;
            *added = 1;
            return MB_OK;
        }
        if ((st = build_index(s, err)))
            return st;
    }
    uint64_t h = fnv1a(key, len);
    size_t i = h & s->mask;
    for (; s->slots[i].off; i = (i + 1) & s->mask)
        if (s->slots[i].hash == h && same(s, s->slots[i].off, key, len)) {
            *added = 0;
            if (id)
                *id = s->slots[i].id;
            return MB_OK;
        }
    if ((st = append(s, key, len, &off, err)))
        return st;
    s->slots[i] = (slot){h, (uint32_t)off, (uint32_t)s->count};
    if (id)
        *id = s->count;
    s->count++;
    *added = 1;
    if (s->count * 2 > s->mask + 1)
        return grow(s, err);
    return MB_OK;
}

size_t mb_strset_count(const mb_strset *s) { return s->count; }
