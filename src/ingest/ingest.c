/*
 * ingest.c - files into a store, each whole or not at all (see ingest.h).
 */
#include "ingest/ingest.h"
#include "core/digest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LEASE_MS (10 * 60 * 1000)      /* a file's lease */
#define RENEW_EVERY_NS (60LL * 1000000000LL) /* renewed this often */
#define PROGRESS_EVERY 4096            /* blocks between progress calls */

/* ---- listing ------------------------------------------------------------ */

typedef struct {
    char **v;
    int n, cap;
    uint64_t bytes;
} list;

static mb_status list_push(list *l, const char *path, uint64_t size,
                           mb_error *err)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, (size_t)ncap * sizeof *nv);
        if (!nv)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        l->v = nv;
        l->cap = ncap;
    }
    if (!(l->v[l->n] = strdup(path)))
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    l->n++;
    l->bytes += size;
    return MB_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static mb_status list_path(list *l, const char *path, int depth,
                           mb_error *err)
{
    struct stat sb;
    if (!strcmp(path, "-"))
        return mb_error_set(err, MB_EINVAL, "ingest reads files and folders, "
                            "not standard input (the file's digest is its "
                            "identity)");
    if (stat(path, &sb) != 0)
        return mb_error_set(err, MB_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return list_push(l, path, (uint64_t)sb.st_size, err);
    if (depth > 32)
        return mb_error_set(err, MB_EINVAL, "%s: folders nested too deep",
                            path);
    DIR *d = opendir(path);
    if (!d)
        return mb_error_set(err, MB_EIO, "%s: %s", path, strerror(errno));
    list names = {0};
    mb_status st = MB_OK;
    struct dirent *e;
    while (!st && (e = readdir(d)))
        if (e->d_name[0] != '.')
            st = list_push(&names, e->d_name, 0, err);
    closedir(d);
    if (!st && names.n)
        qsort(names.v, (size_t)names.n, sizeof *names.v, cmp_names);
    for (int i = 0; !st && i < names.n; i++) {
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", path, names.v[i]) >=
            (int)sizeof child)
            st = mb_error_set(err, MB_EINVAL, "%s/%s: path too long", path,
                              names.v[i]);
        else
            st = list_path(l, child, depth + 1, err);
    }
    mb_ingest_free_list(names.v, names.n);
    return st;
}

mb_status mb_ingest_list(char *const *paths, int npaths, char ***out,
                         int *count, uint64_t *bytes, mb_error *err)
{
    list l = {0};
    mb_status st = MB_OK;
    for (int i = 0; !st && i < npaths; i++)
        st = list_path(&l, paths[i], 0, err);
    if (st) {
        mb_ingest_free_list(l.v, l.n);
        return st;
    }
    *out = l.v;
    *count = l.n;
    *bytes = l.bytes;
    return MB_OK;
}

void mb_ingest_free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- one file ----------------------------------------------------------- */

typedef struct {
    mb_store *store;
    mb_batch *batch;
    const mb_ingest_opts *opts;
    mb_ingest_totals *t;
    mb_input *in;           /* input being read, for progress */
    uint64_t file_base;     /* t->bytes_done when the file started */
    uint64_t blocks;
    uint64_t values, registers, skipped;
    mb_format format;
    bool store_failed;      /* the error came from the store, not the data */
    const char *lease, *owner;
    int64_t next_renew;
} file_ctx;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static mb_status sink_begin(void *ctx, const mb_source_info *info,
                            mb_error *err)
{
    (void)err;
    file_ctx *f = ctx;
    f->format = info->format;
    return MB_OK;
}

/* Progress and lease renewal, every PROGRESS_EVERY blocks. */
static mb_status tick(file_ctx *f, mb_error *err)
{
    if (++f->blocks % PROGRESS_EVERY)
        return MB_OK;
    if (f->in)
        f->t->bytes_done = f->file_base + mb_input_raw_bytes(f->in);
    if (f->opts->on_progress)
        f->opts->on_progress(f->opts->ctx, f->t);
    int64_t now = now_ns();
    if (now >= f->next_renew) {
        f->next_renew = now + RENEW_EVERY_NS;
        mb_status st = mb_store_lock_renew(f->store, f->lease, f->owner,
                                           LEASE_MS, err);
        if (st) {
            f->store_failed = true;
            return st;
        }
    }
    return MB_OK;
}

static mb_status sink_intervals(void *ctx, const mb_interval_block *b,
                                mb_error *err)
{
    file_ctx *f = ctx;
    mb_status st = mb_batch_intervals(f->batch, b, err);
    if (st) {
        f->store_failed = st != MB_EFORMAT && st != MB_ERANGE;
        return st;
    }
    f->values += b->count;
    return tick(f, err);
}

static mb_status sink_register(void *ctx, const mb_register_read *r,
                               mb_error *err)
{
    file_ctx *f = ctx;
    mb_status st = mb_batch_register(f->batch, r, err);
    if (st) {
        f->store_failed = st != MB_EFORMAT && st != MB_ERANGE;
        return st;
    }
    f->registers++;
    return tick(f, err);
}

static void sink_warning(void *ctx, const mb_error *w)
{
    file_ctx *f = ctx;
    if (f->opts->on_warning)
        f->opts->on_warning(f->opts->ctx, w);
}

static mb_status read_input(void *ctx, mb_input *in, mb_error *err)
{
    file_ctx *f = ctx;
    mb_read_opts ro = {.format = f->opts->format, .lenient = f->opts->lenient};
    mb_reader_sink sink = {f, sink_begin, sink_intervals, sink_register,
                           sink_warning};
    mb_read_stats rs = {0};
    f->in = in;
    mb_status st = mb_read_input(in, &ro, &sink, &rs, err);
    f->skipped += rs.skipped;
    f->in = NULL;
    return st;
}

static mb_status copy_file(const char *from, const char *to, mb_error *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return mb_error_set(err, MB_EIO, "%s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return mb_error_set(err, MB_EIO, "%s: %s", to, strerror(errno));
    }
    char buf[1 << 16];
    mb_status st = MB_OK;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                st = mb_error_set(err, MB_EIO, "%s: %s", from,
                                  strerror(errno));
            break;
        }
        if (write(out, buf, (size_t)n) != n) {
            st = mb_error_set(err, MB_EIO, "%s: %s", to, strerror(errno));
            break;
        }
    }
    close(in);
    if (close(out) != 0 && !st)
        st = mb_error_set(err, MB_EIO, "%s: %s", to, strerror(errno));
    return st;
}

/* Copy a rejected file and its reason into the quarantine folder. */
static mb_status quarantine(const char *dir, const char *path,
                            const mb_file_record *rec, mb_error *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mb_error_set(err, MB_EIO, "%s: %s", dir, strerror(errno));
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char dst[PATH_MAX], why[PATH_MAX];
    snprintf(dst, sizeof dst, "%s/%.12s-%s", dir, rec->digest, base);
    snprintf(why, sizeof why, "%s.reason", dst);
    if (strcmp(path, "-")) {
        mb_status st = copy_file(path, dst, err);
        if (st)
            return st;
    }
    FILE *f = fopen(why, "w");
    if (!f)
        return mb_error_set(err, MB_EIO, "%s: %s", why, strerror(errno));
    fprintf(f, "file: %s\ndigest: %s\nreason: %s\n", path, rec->digest,
            rec->error);
    if (fclose(f) != 0)
        return mb_error_set(err, MB_EIO, "%s: %s", why, strerror(errno));
    return MB_OK;
}

/* True when owner names a process of this host ("host:pid") that no
 * longer exists: its lease outlived it (kill -9, crash) and may be taken
 * over at once instead of waiting for it to expire. */
static bool holder_is_dead(const char *owner)
{
    const char *colon = strrchr(owner, ':');
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    if (!colon || (size_t)(colon - owner) != strlen(host) ||
        strncmp(owner, host, strlen(host)))
        return false;
    char *end;
    long pid = strtol(colon + 1, &end, 10);
    if (*end || pid <= 0 || pid == (long)getpid())
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Take the file's lease, releasing one left by a dead local holder. */
static mb_status take_lease(mb_store *s, const char *lease, const char *owner,
                            bool *taken, mb_error *err)
{
    mb_status st = mb_store_lock(s, lease, owner, LEASE_MS, taken, err);
    if (st || *taken)
        return st;
    char holder[256];
    bool held;
    if ((st = mb_store_lock_holder(s, lease, holder, sizeof holder, &held,
                                   err)))
        return st;
    if (!held || !holder_is_dead(holder))
        return MB_OK;
    if ((st = mb_store_unlock(s, lease, holder, err)))
        return st;
    return mb_store_lock(s, lease, owner, LEASE_MS, taken, err);
}

static mb_status ingest_one(mb_store *s, const char *path,
                            const mb_ingest_opts *o, const char *owner,
                            mb_ingest_totals *t, mb_error *err)
{
    mb_file_record rec = {0};
    uint64_t size = 0, base = t->bytes_done;
    mb_status st = mb_digest_file(path, rec.digest, &size, err);
    if (st)
        return st;
    rec.name = path;
    rec.size = size;
    rec.format = o->format;
    rec.error = "";
    rec.seen_at = time(NULL);

    mb_ingest_event ev = {.path = path, .rec = &rec};
    mb_file_record old;
    bool found;
    char lease[96];
    snprintf(lease, sizeof lease, "ingest:%s", rec.digest);
    bool taken = false;
    if ((st = mb_store_file_get(s, rec.digest, &old, &found, err)))
        return st;
    if (!(found && old.outcome == MB_FILE_APPLIED)) {
        if ((st = take_lease(s, lease, owner, &taken, err)))
            return st;
        /* Someone may have finished it while we were not holding it. */
        if (taken && (st = mb_store_file_get(s, rec.digest, &old, &found, err)))
            goto out;
    }
    if (found && old.outcome == MB_FILE_APPLIED) {
        ev.result = MB_INGEST_SEEN;
        ev.rec = &old;
        t->seen++;
        goto done;
    }
    if (!taken) {
        ev.result = MB_INGEST_BUSY;
        t->busy++;
        goto done;
    }

    file_ctx f = {.store = s, .opts = o, .t = t, .file_base = t->bytes_done,
                  .format = o->format, .lease = lease, .owner = owner,
                  .next_renew = now_ns() + RENEW_EVERY_NS};
    if ((st = mb_store_begin(s, &f.batch, err)))
        goto out;
    mb_error derr;
    mb_error_clear(&derr);
    st = mb_input_foreach(path, read_input, &f, &derr);
    rec.format = f.format;
    rec.values = f.values;
    rec.registers = f.registers;
    ev.skipped = f.skipped;
    t->skipped += f.skipped;
    if (st && (f.store_failed || st == MB_EIO || st == MB_ENOMEM)) {
        mb_batch_abort(f.batch);
        *err = derr;
        goto out;
    }
    if (st) {
        /* Bad data: nothing of the file is applied. */
        mb_batch_abort(f.batch);
        rec.outcome = MB_FILE_REJECTED;
        rec.error = derr.msg;
        if ((st = mb_store_file_reject(s, &rec, err)))
            goto out;
        if (o->quarantine && (st = quarantine(o->quarantine, path, &rec, err)))
            goto out;
        ev.result = MB_INGEST_REJECTED;
        t->rejected++;
        goto done;
    }
    rec.outcome = MB_FILE_APPLIED;
    mb_apply_stats as = {0};
    if ((st = mb_batch_commit(f.batch, &rec, &as, err)))
        goto out;
    rec.added = as.added;
    rec.changed = as.changed;
    rec.unchanged = as.unchanged;
    t->values += rec.values;
    t->registers += rec.registers;
    t->added += as.added;
    t->changed += as.changed;
    t->unchanged += as.unchanged;
    ev.result = MB_INGEST_APPLIED;
    t->applied++;
done:
    st = MB_OK;
out:
    if (taken) {
        mb_error uerr;
        mb_status ust = mb_store_unlock(s, lease, owner, &uerr);
        if (ust && !st) {
            *err = uerr;
            st = ust;
        }
    }
    if (!st) {
        t->files++;
        t->bytes_done = base + size;
        if (o->on_file)
            o->on_file(o->ctx, &ev, t);
    }
    return st;
}

mb_status mb_ingest_files(mb_store *s, char *const *files, int count,
                          const mb_ingest_opts *opts, mb_ingest_totals *t,
                          mb_error *err)
{
    char owner[128];
    if (opts->owner) {
        snprintf(owner, sizeof owner, "%s", opts->owner);
    } else {
        char host[64] = "localhost";
        gethostname(host, sizeof host - 1);
        snprintf(owner, sizeof owner, "%s:%ld", host, (long)getpid());
    }
    for (int i = 0; i < count; i++) {
        mb_status st = ingest_one(s, files[i], opts, owner, t, err);
        if (st)
            return st;
    }
    return MB_OK;
}
