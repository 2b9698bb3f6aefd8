/*
 * test_store_sqlite.c - what only the embedded backend promises: surviving
 * kill -9 at any moment, several processes on one file (leases, batches),
 * detection of damaged rows, its default location, its own rules for
 * blocks it cannot place (misaligned intervals, a meter in two zones),
 * and the month archive (compaction changes nothing a reader can see,
 * whatever arrives afterwards, and survives kill -9).
 */
#include "core/datetime.h"
#include "store/store.h"

#include "mbtest.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[256];

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static mb_store *open_path(const char *path)
{
    mb_store *s;
    mb_error e;
    if (mb_store_open(path, &s, &e)) {
        fprintf(stderr, "open %s: %s\n", path, e.msg);
        exit(2);
    }
    return s;
}

static mb_time day_start(int64_t day)
{
    return day * 86400 - 36000; /* +10:00 */
}

/* Commits batch b as an applied NEM12 file `name` of `values` values,
 * with a digest derived from the name. */
static mb_status commit_as(mb_batch *b, const char *name, uint64_t values,
                           mb_apply_stats *stats, mb_error *e)
{
    mb_file_record f = {0};
    unsigned long h = 5381;
    for (const char *p = name; *p; p++)
        h = h * 33 + (unsigned char)*p;
    snprintf(f.digest, sizeof f.digest, "%016lx%016lx%016lx%016lx", h, h, h,
             h);
    f.name = name;
    f.outcome = MB_FILE_APPLIED;
    f.format = MB_FORMAT_NEM12;
    f.values = values;
    return mb_batch_commit(b, &f, stats, e);
}

#define PER_DAY 48
#define DAYS 40

/* One batch: meter M<tag>, DAYS days of half hours, as file <tag>. */
static mb_status apply_batch(mb_store *s, const char *tag, mb_error *e)
{
    static mb_decimal v[PER_DAY];
    static mb_quality q[PER_DAY];
    for (int i = 0; i < PER_DAY; i++) {
        v[i] = (mb_decimal){i * 7 + 1, 2};
        q[i] = (mb_quality){MB_Q_ACTUAL, 0, MB_REASON_NONE};
    }
    char meter[64];
    snprintf(meter, sizeof meter, "M%s", tag);
    mb_batch *b;
    mb_status st = mb_store_begin(s, &b, e);
    if (st)
        return st;
    int64_t d0 = mb_days_from_civil(2024, 1, 1);
    for (int d = 0; d < DAYS && st == MB_OK; d++) {
        mb_interval_block blk = {
            .meter = meter, .channel = "E1", .zone = "+10:00",
            .unit = MB_UNIT_KWH, .start = day_start(d0 + d), .interval = 1800,
            .count = PER_DAY, .values = v, .quality = q, .version = 1};
        st = mb_batch_intervals(b, &blk, e);
    }
    if (st) {
        mb_batch_abort(b);
        return st;
    }
    mb_apply_stats stats;
    return commit_as(b, tag, PER_DAY * DAYS, &stats, e);
}

static mb_status count_values(void *ctx, const mb_interval_row *r,
                              mb_error *e)
{
    (void)r;
    (void)e;
    (*(int *)ctx)++;
    return MB_OK;
}

static int values_of(mb_store *s, const char *meter)
{
    int n = 0;
    mb_range_query q = {meter, NULL, 0, (mb_time)1 << 40, false};
    mb_error e;
    if (mb_store_read(s, &q, count_values, &n, &e))
        return -1;
    return n;
}

/* Names of applied files and meters with data, collected first: callbacks
 * must not call back into the store. */
#define MAXN 4096
typedef struct names {
    int n;
    bool bad;
    char name[MAXN][32];
} names;

static mb_status collect_file(void *ctx, const mb_file_record *r,
                              mb_error *e)
{
    (void)e;
    names *l = ctx;
    if (r->outcome != MB_FILE_APPLIED || l->n == MAXN)
        l->bad = true;
    else
        snprintf(l->name[l->n++], 32, "M%s", r->name);
    return MB_OK;
}

static mb_status collect_meter(void *ctx, const mb_series_info *si,
                               mb_error *e)
{
    (void)e;
    names *l = ctx;
    if (l->n == MAXN)
        l->bad = true;
    else
        snprintf(l->name[l->n++], 32, "%s", si->meter);
    return MB_OK;
}

/* Every applied file's meter holds all its values, and every meter with
 * data comes from an applied file. Returns the number of files. */
static int check_whole(mb_store *s)
{
    static names files, meters;
    memset(&files, 0, sizeof files);
    memset(&meters, 0, sizeof meters);
    mb_error e;
    MB_CHECK(mb_store_files(s, collect_file, &files, &e) == MB_OK);
    MB_CHECK(mb_store_series(s, collect_meter, &meters, &e) == MB_OK);
    MB_CHECK(!files.bad && !meters.bad);
    for (int i = 0; i < files.n; i++) {
        int n = values_of(s, files.name[i]);
        if (n != PER_DAY * DAYS)
            fprintf(stderr, "file of %s applied but %d values\n",
                    files.name[i], n);
        MB_CHECK(n == PER_DAY * DAYS);
    }
    MB_CHECK(meters.n == files.n);
    for (int i = 0; i < meters.n; i++) {
        bool known = false;
        for (int j = 0; j < files.n && !known; j++)
            known = !strcmp(meters.name[i], files.name[j]);
        if (!known)
            fprintf(stderr, "meter %s has data but no file record\n",
                    meters.name[i]);
        MB_CHECK(known);
    }
    return files.n;
}

/* A child applies batches in a loop; it is killed at random moments. */
static void test_kill9(void)
{
    char path[300];
    path_of(path, sizeof path, "crash.db");
    srand((unsigned)time(NULL));
    int rounds = 25;
    for (int round = 0; round < rounds; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            mb_store *s = open_path(path);
            mb_error e;
            for (int k = 0;; k++) {
                char tag[32];
                snprintf(tag, sizeof tag, "r%dk%d", round, k);
                if (apply_batch(s, tag, &e)) {
                    fprintf(stderr, "child: %s\n", e.msg);
                    _exit(3);
                }
            }
        }
        usleep((useconds_t)(20000 + rand() % 150000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        MB_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }
    mb_store *s = open_path(path);
    mb_store_digest d;
    mb_error e;
    MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
    int files = check_whole(s);
    MB_CHECK(files > 0);
    MB_CHECK(d.series == (uint64_t)files);
    MB_CHECK(d.values == (uint64_t)files * PER_DAY * DAYS);
    printf("kill -9: %d rounds, %d batches committed, all whole\n", rounds,
           files);
    mb_store_close(s);
}

/* Runs child(k, path, shared) in two processes k = 0, 1 on one store
 * file; a child exits 0 when all went well. Returns how many did not. */
typedef int child_fn(int k, mb_store *s, volatile int *shared);

static int run_two(const char *path, child_fn *child, volatile int *shared)
{
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            mb_store *s = open_path(path);
            int rc = child(k, s, shared);
            mb_store_close(s);
            _exit(rc);
        }
    }
    int failed = 0;
    for (int k = 0; k < 2; k++) {
        int status;
        waitpid(kids[k], &status, 0);
        failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return failed;
}

static volatile int *shared_page(void)
{
    volatile int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    MB_CHECK(p != MAP_FAILED);
    return p == MAP_FAILED ? NULL : memset((void *)p, 0, 4096);
}

/* shared[0]: holders inside, [1]: violations, [2]: entries. */
static int take_turns(int k, mb_store *s, volatile int *shared)
{
    char owner[32];
    snprintf(owner, sizeof owner, "proc%d", k);
    mb_error e;
    for (int i = 0; i < 100; i++) {
        bool taken = false;
        while (!taken) {
            if (mb_store_lock(s, "file:x", owner, 10000, &taken, &e)) {
                fprintf(stderr, "lock: %s\n", e.msg);
                return 3;
            }
            if (!taken)
                usleep(100);
        }
        if (__sync_add_and_fetch(&shared[0], 1) != 1)
            __sync_add_and_fetch(&shared[1], 1);
        __sync_add_and_fetch(&shared[2], 1);
        usleep(200);
        if (mb_store_lock_renew(s, "file:x", owner, 10000, &e))
            __sync_add_and_fetch(&shared[1], 1);
        __sync_sub_and_fetch(&shared[0], 1);
        if (mb_store_unlock(s, "file:x", owner, &e))
            return 3;
    }
    return 0;
}

/* Two processes take turns on one lease; never both inside. */
static void test_lock_contention(void)
{
    char path[300];
    path_of(path, sizeof path, "locks.db");
    volatile int *shared = shared_page();
    if (!shared)
        return;
    MB_CHECK(run_two(path, take_turns, shared) == 0);
    MB_CHECK(shared[1] == 0);
    MB_CHECK(shared[2] == 200);
    munmap((void *)shared, 4096);
}

/* shared[0]: processes ready. Both wait for each other, then race. */
static int first_lease(int k, mb_store *s, volatile int *shared)
{
    char owner[32];
    snprintf(owner, sizeof owner, "proc%d", k);
    __sync_add_and_fetch(&shared[0], 1);
    while (shared[0] < 2)
        ;
    bool taken;
    mb_error e;
    if (mb_store_lock(s, "file:x", owner, 10000, &taken, &e)) {
        fprintf(stderr, "lock: %s\n", e.msg);
        return 3;
    }
    return 0;
}

/* Two processes take their first lease on a fresh store at the same
 * moment, many times: creating the lease file (and switching it to WAL)
 * must wait for the other process, never fail with "database is locked". */
static void test_lock_first_use(void)
{
    volatile int *go = shared_page();
    if (!go)
        return;
    int failed = 0;
    for (int round = 0; round < 40; round++) {
        char path[300], name[32];
        snprintf(name, sizeof name, "first%d.db", round);
        path_of(path, sizeof path, name);
        go[0] = 0;
        failed += run_two(path, first_lease, go);
    }
    MB_CHECK(failed == 0);
    munmap((void *)go, 4096);
}

static int eight_batches(int k, mb_store *s, volatile int *shared)
{
    (void)shared;
    mb_error e;
    for (int i = 0; i < 8; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "p%di%d", k, i);
        if (apply_batch(s, tag, &e)) {
            fprintf(stderr, "batch: %s\n", e.msg);
            return 3;
        }
    }
    return 0;
}

/* Two processes apply batches into one file at the same time. */
static void test_concurrent_batches(void)
{
    char path[300];
    path_of(path, sizeof path, "two.db");
    MB_CHECK(run_two(path, eight_batches, NULL) == 0);
    mb_store *s = open_path(path);
    mb_store_digest d;
    mb_error e;
    MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
    MB_CHECK(d.series == 16 && d.values == 16 * PER_DAY * DAYS);
    MB_CHECK(check_whole(s) == 16);
    /* a handle that cached series before another process added more */
    mb_store *s2 = open_path(path);
    MB_CHECK(apply_batch(s, "late1", &e) == MB_OK);
    MB_CHECK(apply_batch(s2, "late2", &e) == MB_OK);
    MB_CHECK(apply_batch(s, "late2", &e) == MB_OK); /* replay via s */
    MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
    MB_CHECK(d.series == 18);
    mb_store_close(s2);
    mb_store_close(s);
}

/* A damaged day row is found by verify and by reads, not crashed on. */
static void test_damage_detected(void)
{
    char path[300];
    path_of(path, sizeof path, "damage.db");
    mb_store *s = open_path(path);
    mb_error e;
    MB_CHECK(apply_batch(s, "dmg", &e) == MB_OK);
    mb_store_digest d;
    MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
    sqlite3 *db;
    MB_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    MB_CHECK(sqlite3_exec(db, "UPDATE days SET data = x'01ff7f'"
                          " WHERE id = (SELECT min(id) FROM days)",
                          NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    MB_CHECK(mb_store_verify(s, &d, &e) == MB_EFORMAT);
    MB_CHECK(strstr(e.msg, "day row") != NULL);
    MB_CHECK(values_of(s, "Mdmg") == -1);
    mb_store_close(s);
}

/* What the embedded store cannot place is refused without harm. */
static void test_refusals(void)
{
    char path[300];
    path_of(path, sizeof path, "refuse.db");
    mb_store *s = open_path(path);
    mb_decimal v[4] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}};
    mb_quality q[4];
    for (int i = 0; i < 4; i++)
        q[i] = (mb_quality){MB_Q_ACTUAL, 0, MB_REASON_NONE};
    int64_t d0 = mb_days_from_civil(2024, 2, 1);
    mb_interval_block ok = {
        .meter = "R1", .channel = "E1", .zone = "+10:00",
        .unit = MB_UNIT_KWH, .start = day_start(d0), .interval = 1800,
        .count = 4, .values = v, .quality = q, .version = 1};
    mb_batch *b;
    mb_error e;
    MB_CHECK(mb_store_begin(s, &b, &e) == MB_OK);
    MB_CHECK(mb_batch_intervals(b, &ok, &e) == MB_OK);
    /* off the half-hour grid of the local day */
    mb_interval_block odd = ok;
    odd.start += 600;
    MB_CHECK(mb_batch_intervals(b, &odd, &e) == MB_EFORMAT);
    /* the same meter in another zone */
    mb_interval_block zone = ok;
    zone.zone = "Europe/London";
    MB_CHECK(mb_batch_intervals(b, &zone, &e) == MB_EFORMAT);
    MB_CHECK(strstr(e.msg, "zone") != NULL);
    /* the same series in another unit */
    mb_interval_block unit = ok;
    unit.unit = MB_UNIT_KVARH;
    MB_CHECK(mb_batch_intervals(b, &unit, &e) == MB_EFORMAT);
    /* an unknown zone for a new meter */
    mb_interval_block nozone = ok;
    nozone.meter = "R2";
    nozone.zone = "Mars/Olympus";
    MB_CHECK(mb_batch_intervals(b, &nozone, &e) != MB_OK);
    /* the batch is still good: the refused blocks changed nothing */
    mb_file_record f = {.outcome = MB_FILE_APPLIED, .name = "refuse"};
    memset(f.digest, 'a', 64);
    mb_apply_stats st;
    MB_CHECK(mb_batch_commit(b, &f, &st, &e) == MB_OK);
    MB_CHECK(st.added == 4);
    MB_CHECK(values_of(s, "R1") == 4);
    MB_CHECK(values_of(s, "R2") == 0);
    mb_store_digest d;
    MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
    MB_CHECK(d.series == 1 && d.values == 4);
    mb_store_close(s);
}

static void test_default_uri(void)
{
    char buf[4096], want[4096];
    setenv(MB_STORE_ENV, "/some/where.db", 1);
    MB_CHECK_STR(mb_store_default_uri(buf, sizeof buf), "/some/where.db");
    unsetenv(MB_STORE_ENV);
    char xdg[300];
    path_of(xdg, sizeof xdg, "xdg");
    setenv("XDG_DATA_HOME", xdg, 1);
    snprintf(want, sizeof want, "%s/meterbase/meterbase.db", xdg);
    MB_CHECK_STR(mb_store_default_uri(buf, sizeof buf), want);
    /* the folder is made, so the store opens */
    mb_store *s = open_path(buf);
    mb_store_close(s);
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", dir, 1);
    snprintf(want, sizeof want, "%s/.local/share/meterbase/meterbase.db",
             dir);
    MB_CHECK_STR(mb_store_default_uri(buf, sizeof buf), want);
}

/* ---- the month archive --------------------------------------------------- */

/* One batch of `ndays` days from civil day d0 for meter/channel, every
 * value offset by `base`, with version `ver`; slots [s0, s1) only. Slot 5
 * of each day carries a reason text, slot 6 another scale, so rows have
 * exceptions. Returns the batch's effect through *out. */
static mb_status put_days(mb_store *s, const char *file, const char *meter,
                          const char *channel, int64_t d0, int ndays,
                          uint32_t s0, uint32_t s1, int64_t base,
                          mb_version ver, mb_apply_stats *out, mb_error *e)
{
    mb_decimal v[PER_DAY];
    mb_quality q[PER_DAY];
    const char *texts[PER_DAY] = {0};
    for (uint32_t i = 0; i < PER_DAY; i++) {
        v[i] = (mb_decimal){base + i * 3, i == 6 ? 1 : 3};
        q[i] = (mb_quality){MB_Q_ACTUAL, 0, MB_REASON_NONE};
    }
    q[5] = (mb_quality){MB_Q_SUBSTITUTED, 0, 51};
    texts[5] = "meter replaced";
    mb_batch *b;
    mb_status st = mb_store_begin(s, &b, e);
    for (int d = 0; st == MB_OK && d < ndays; d++) {
        mb_interval_block blk = {
            .meter = meter, .channel = channel, .zone = "+10:00",
            .unit = MB_UNIT_KWH, .start = day_start(d0 + d) + s0 * 1800,
            .interval = 1800, .count = s1 - s0, .values = v + s0,
            .quality = q + s0, .reason_text = texts + s0, .version = ver};
        st = mb_batch_intervals(b, &blk, e);
    }
    if (st) {
        if (b)
            mb_batch_abort(b);
        return st;
    }
    return commit_as(b, file, 0, out, e);
}

typedef struct dump {
    char *p;
    size_t len, cap;
} dump;

static void dump_add(dump *d, const char *line)
{
    size_t n = strlen(line);
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->p = realloc(d->p, d->cap);
        if (!d->p)
            abort();
    }
    memcpy(d->p + d->len, line, n + 1);
    d->len += n;
}

static mb_status dump_row(void *ctx, const mb_interval_row *r, mb_error *e)
{
    (void)e;
    char line[512];
    snprintf(line, sizeof line, "%s,%s,%lld,%lld/%d,%c,%d,%d,%s,%lld,%d\n",
             r->meter, r->channel, (long long)r->start,
             (long long)r->value.units, r->value.scale, r->quality.flag,
             r->quality.method, r->quality.reason,
             r->reason_text ? r->reason_text : "-", (long long)r->version,
             r->current);
    dump_add(ctx, line);
    return MB_OK;
}

static mb_status dump_series(void *ctx, const mb_series_info *si,
                             mb_error *e)
{
    (void)e;
    char line[256];
    snprintf(line, sizeof line, "S %s,%s,%lld,%lld\n", si->meter,
             si->channel, (long long)si->first, (long long)si->last);
    dump_add(ctx, line);
    return MB_OK;
}

/* Everything a reader can see: series with their edges, every meter's
 * values with history (whole range and a range cutting months), the
 * digest. */
static char *view_of(mb_store *s, const char *const *meters, int nm,
                     mb_store_digest *dg)
{
    dump d = {0};
    mb_error e;
    dump_add(&d, "");
    MB_CHECK(mb_store_series(s, dump_series, &d, &e) == MB_OK);
    int64_t d0 = mb_days_from_civil(2024, 1, 20);
    for (int i = 0; i < nm; i++) {
        mb_range_query q = {meters[i], NULL, 0, (mb_time)1 << 40, true};
        MB_CHECK(mb_store_read(s, &q, dump_row, &d, &e) == MB_OK);
        q = (mb_range_query){meters[i], "E1", day_start(d0) + 7 * 1800,
                             day_start(d0 + 45) + 3 * 1800, true};
        MB_CHECK(mb_store_read(s, &q, dump_row, &d, &e) == MB_OK);
        q.history = false;
        MB_CHECK(mb_store_read(s, &q, dump_row, &d, &e) == MB_OK);
    }
    if (mb_store_verify(s, dg, &e) != MB_OK) {
        fprintf(stderr, "verify: %s\n", e.msg);
        MB_CHECK(0);
    }
    return d.p;
}

static int same_view(mb_store *a, mb_store *b, const char *const *meters,
                     int nm)
{
    mb_store_digest da, db;
    char *va = view_of(a, meters, nm, &da), *vb = view_of(b, meters, nm, &db);
    int same = !strcmp(va, vb) && !strcmp(da.hex, db.hex) &&
               da.values == db.values && da.series == db.series;
    if (!same)
        fprintf(stderr, "views differ (%zu / %zu bytes, %s / %s)\n",
                strlen(va), strlen(vb), da.hex, db.hex);
    free(va);
    free(vb);
    return same;
}

/* The same batches go to a plain store and to one compacted in between;
 * every batch has the same effect on both and both look the same. */
static void test_archive_same_view(void)
{
    char pa[300], pb[300];
    path_of(pa, sizeof pa, "arch-a.db");
    path_of(pb, sizeof pb, "arch-b.db");
    mb_store *st[2] = {open_path(pa), open_path(pb)};
    static const char *const meters[] = {"A1", "A2", "A3", "A4"};
    mb_error e;
    mb_apply_stats x[2];
    int64_t jan1 = mb_days_from_civil(2024, 1, 1);
    int64_t mar10 = mb_days_from_civil(2024, 3, 10);
#define BOTH(call)                                                         \
    for (int k_ = 0; k_ < 2; k_++) {                                       \
        mb_store *s = st[k_];                                              \
        mb_apply_stats *out = &x[k_];                                      \
        MB_CHECK((call) == MB_OK);                                         \
    }                                                                      \
    MB_CHECK(x[0].added == x[1].added && x[0].changed == x[1].changed &&   \
             x[0].unchanged == x[1].unchanged)

    /* Jan 1 to Mar 10; A3 has a second channel with a gap. */
    BOTH(put_days(s, "f1", "A1", "E1", jan1, 70, 0, PER_DAY, 1000, 10, out,
                  &e));
    BOTH(put_days(s, "f2", "A2", "E1", jan1 + 3, 60, 0, PER_DAY, 2000, 10,
                  out, &e));
    BOTH(put_days(s, "f3", "A3", "E1", jan1, 70, 0, PER_DAY, 3000, 10, out,
                  &e));
    BOTH(put_days(s, "f3b", "A3", "B1", jan1 + 40, 20, 4, 30, 3500, 10, out,
                  &e));
    mb_store_digest d0;
    char *before = view_of(st[0], meters, 4, &d0);

    mb_compact_stats cs;
    MB_CHECK(mb_store_compact(st[0], 0, &cs, &e) == MB_OK);
    MB_CHECK(cs.months == 2); /* January and February; March is open */
    MB_CHECK(cs.days == 60 + 57 + 60 + 20);
    mb_store_digest d1;
    char *after = view_of(st[0], meters, 4, &d1);
    MB_CHECK(!strcmp(before, after));
    MB_CHECK_STR(d0.hex, d1.hex);
    free(before);
    free(after);
    /* Nothing more to archive; a keep of 40 days archives nothing. */
    MB_CHECK(mb_store_compact(st[0], 0, &cs, &e) == MB_OK && !cs.months);
    MB_CHECK(same_view(st[0], st[1], meters, 4));

    /* Late data and newer corrections into archived months: a new meter
     * in February, a new day in December, a whole day and part of a day
     * replaced, a new channel. */
    BOTH(put_days(s, "g1", "A4", "E1", jan1 + 35, 10, 0, PER_DAY, 4000, 10,
                  out, &e));
    BOTH(put_days(s, "g2", "A1", "E1", jan1 - 5, 2, 0, PER_DAY, 900, 10, out,
                  &e));
    BOTH(put_days(s, "g3", "A1", "E1", jan1 + 14, 1, 0, PER_DAY, 1500, 20,
                  out, &e));
    BOTH(put_days(s, "g4", "A2", "E1", jan1 + 30, 3, 10, 20, 2500, 20, out,
                  &e));
    BOTH(put_days(s, "g5", "A2", "B1", jan1 + 20, 5, 0, PER_DAY, 2600, 10,
                  out, &e));
    MB_CHECK(x[0].added == 5 * PER_DAY);
    MB_CHECK(same_view(st[0], st[1], meters, 4));
    /* Older versions into archived days go to history; a same-version
     * tie is settled the same way. */
    BOTH(put_days(s, "h1", "A1", "E1", jan1 + 15, 2, 0, PER_DAY, 1700, 5,
                  out, &e));
    MB_CHECK(x[0].unchanged == 2 * PER_DAY && !x[0].changed);
    BOTH(put_days(s, "h2", "A3", "E1", jan1 + 2, 1, 0, PER_DAY, 3001, 10,
                  out, &e));
    MB_CHECK(x[0].changed + x[0].unchanged == PER_DAY);
    /* Replays: nothing changes. */
    BOTH(put_days(s, "g3r", "A1", "E1", jan1 + 14, 1, 0, PER_DAY, 1500, 20,
                  out, &e));
    MB_CHECK(x[0].unchanged == PER_DAY);
    MB_CHECK(same_view(st[0], st[1], meters, 4));

    /* New days after the open month, then archive March too; days that
     * straddle the boundary in a read range come from both kinds of row. */
    BOTH(put_days(s, "i1", "A1", "E1", mar10 + 1, 40, 0, PER_DAY, 1100, 10,
                  out, &e));
    BOTH(put_days(s, "i2", "A3", "E1", mar10 - 2, 5, 0, PER_DAY, 3100, 30,
                  out, &e));
    MB_CHECK(mb_store_compact(st[0], 10, &cs, &e) == MB_OK);
    MB_CHECK(cs.months == 1);
    MB_CHECK(same_view(st[0], st[1], meters, 4));
    BOTH(put_days(s, "i3", "A1", "E1", mar10 - 1, 3, 0, PER_DAY, 1200, 40,
                  out, &e));
    MB_CHECK(x[0].changed == 3 * PER_DAY);
    MB_CHECK(same_view(st[0], st[1], meters, 4));
    /* Compacting the other store too gives the same again. */
    MB_CHECK(mb_store_compact(st[1], 0, &cs, &e) == MB_OK);
    MB_CHECK(cs.months == 4); /* Dec, Jan, Feb, Mar */
    MB_CHECK(same_view(st[0], st[1], meters, 4));
    mb_store_close(st[0]);
    mb_store_close(st[1]);
#undef BOTH
}

/* A compaction killed at random moments leaves a store that verifies with
 * the same digest; the next one finishes the job. */
static void test_archive_kill9(void)
{
    char src[300], path[300];
    path_of(src, sizeof src, "arch-src.db");
    path_of(path, sizeof path, "arch-crash.db");
    mb_store *s = open_path(src);
    mb_error e;
    mb_apply_stats x;
    int64_t jan1 = mb_days_from_civil(2024, 1, 1);
    for (int m = 0; m < 200; m++) {
        char meter[32];
        snprintf(meter, sizeof meter, "K%03d", m);
        MB_CHECK(put_days(s, meter, meter, "E1", jan1, 130, 0, PER_DAY,
                          m * 10, 1, &x, &e) == MB_OK);
    }
    mb_store_digest want;
    MB_CHECK(mb_store_verify(s, &want, &e) == MB_OK);
    mb_store_close(s);
    srand((unsigned)time(NULL));
    int rounds = 6, partial = 0;
    for (int round = 0; round < rounds; round++) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'",
                 src, path, path, path);
        MB_CHECK(system(cmd) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            mb_store *c = open_path(path);
            mb_compact_stats cs;
            _exit(mb_store_compact(c, 0, &cs, &e) ? 3 : 0);
        }
        usleep((useconds_t)(rand() % 400000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        s = open_path(path);
        mb_store_digest d;
        MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
        MB_CHECK_STR(d.hex, want.hex);
        mb_compact_stats cs;
        MB_CHECK(mb_store_compact(s, 0, &cs, &e) == MB_OK);
        if (cs.months > 0 && cs.months < 4)
            partial++;
        MB_CHECK(mb_store_verify(s, &d, &e) == MB_OK);
        MB_CHECK_STR(d.hex, want.hex);
        mb_store_close(s);
    }
    printf("archive kill -9: %d rounds, %d left part of the months\n",
           rounds, partial);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/mb-store-sqlite-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    MB_RUN(test_refusals);
    MB_RUN(test_damage_detected);
    MB_RUN(test_default_uri);
    MB_RUN(test_lock_contention);
    MB_RUN(test_lock_first_use);
    MB_RUN(test_concurrent_batches);
    MB_RUN(test_kill9);
    MB_RUN(test_archive_same_view);
    MB_RUN(test_archive_kill9);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return MB_DONE();
}
