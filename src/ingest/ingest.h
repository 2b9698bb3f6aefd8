/*
 * ingest.h - applying meter data files to a store, each whole or not at all.
 *
 * For each file: digest its bytes; a digest already applied is a replay and
 * is skipped ("already seen"); otherwise take a lease on the file (so that
 * competing ingest processes never apply it twice), stream its readings
 * into one store batch, and commit the batch together with the file's
 * record. A file with bad data is rejected: its batch is dropped, the
 * rejection and reason are recorded, and a copy goes to the quarantine
 * folder with a .reason file beside it. An operational failure (store or
 * disk) stops the run and records nothing for the file in hand.
 *
 * The library prints nothing: progress and outcomes reach the caller
 * through the callbacks in mb_ingest_opts.
 */
#ifndef MB_INGEST_H
#define MB_INGEST_H

#include "formats/reader.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum mb_ingest_result {
    MB_INGEST_APPLIED,
    MB_INGEST_SEEN,     /* same content applied before: nothing to do */
    MB_INGEST_REJECTED, /* bad data: quarantined, nothing applied */
    MB_INGEST_BUSY,     /* another process holds this file's lease */
} mb_ingest_result;

/* Outcome of one file, for the caller's log. */
typedef struct mb_ingest_event {
    const char *path;
    mb_ingest_result result;
    const mb_file_record *rec; /* digest, counts, error */
    uint64_t skipped;          /* records skipped (lenient) */
} mb_ingest_event;

typedef struct mb_ingest_totals {
    uint64_t files, applied, seen, rejected, busy;
    uint64_t bytes_total, bytes_done;
    uint64_t values, registers, added, changed, unchanged, skipped;
} mb_ingest_totals;

typedef struct mb_ingest_opts {
    bool lenient;            /* skip bad records instead of rejecting */
    mb_format format;        /* MB_FORMAT_AUTO to detect per file */
    const char *quarantine;  /* folder for rejected files; NULL: none */
    const char *owner;       /* lease owner id; NULL: host:pid */
    void *ctx;
    /* After each file. */
    void (*on_file)(void *ctx, const mb_ingest_event *ev,
                    const mb_ingest_totals *t);
    /* Now and then while a file is read (for progress bars). */
    void (*on_progress)(void *ctx, const mb_ingest_totals *t);
    /* A record skipped or a notice (lenient mode, empty files). */
    void (*on_warning)(void *ctx, const mb_error *w);
} mb_ingest_opts;

/* The files named by paths: files as given, folders searched recursively
 * (sorted by name, hidden entries skipped). *out is a malloc'ed array of
 * malloc'ed strings; free with mb_ingest_free_list. */
mb_status mb_ingest_list(char *const *paths, int npaths, char ***out,
                         int *count, uint64_t *bytes, mb_error *err);
void mb_ingest_free_list(char **list, int count);

/* Ingest files in order. Returns MB_OK when every file was dealt with
 * (applied, seen or rejected: see totals); an operational failure stops
 * the run with its error. */
mb_status mb_ingest_files(mb_store *s, char *const *files, int count,
                          const mb_ingest_opts *opts, mb_ingest_totals *t,
                          mb_error *err);

#endif
