/*
 * input.c - plain, gzip, zip and in-memory inputs split into lines.
 *
 * Layering: a source (file descriptor, memory, zip member) yields raw
 * bytes; an optional inflater (zlib, for gzip) turns them into text; the
 * line splitter keeps a growing buffer of text and hands out lines with
 * memchr. See input.h for the contract.
 */
#include "formats/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#define CHUNK (1u << 16) /* read and inflate size; also the initial buffer */

typedef enum { SRC_FD, SRC_MEM, SRC_ZIP } src_kind;

struct mb_input {
    char *name;
    src_kind kind;
    int fd;               /* SRC_FD */
    const unsigned char *mem; /* SRC_MEM */
    size_t mem_len, mem_pos;
    zip_file_t *zf;       /* SRC_ZIP */

    /* raw bytes, used only when inflating */
    int gzip;
    z_stream z;
    unsigned char *raw;
    size_t raw_len;       /* valid bytes in raw */
    int src_eof;

    /* text buffer: buf[pos..len) is not yet consumed */
    char *buf;
    size_t cap, pos, len;
    int eof;              /* no more text will come */
    long lineno;
    uint64_t raw_bytes;
};

static mb_status src_read(mb_input *in, void *dst, size_t cap, size_t *got,
                          mb_error *err)
{
    *got = 0;
    switch (in->kind) {
    case SRC_FD:
        for (;;) {
            ssize_t n = read(in->fd, dst, cap);
            if (n >= 0) {
                *got = (size_t)n;
                break;
            }
            if (errno != EINTR)
                return mb_error_set(err, MB_EIO, "%s: read: %s", in->name,
                                    strerror(errno));
        }
        break;
    case SRC_MEM: {
        size_t n = in->mem_len - in->mem_pos;
        if (n > cap)
            n = cap;
        memcpy(dst, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        *got = n;
        break;
    }
    case SRC_ZIP: {
        zip_int64_t n = zip_fread(in->zf, dst, cap);
        if (n < 0)
            return mb_error_set(err, MB_EFORMAT, "%s: zip: %s", in->name,
                                zip_error_strerror(zip_file_get_error(in->zf)));
        *got = (size_t)n;
        break;
    }
    }
    in->raw_bytes += *got;
    return MB_OK;
}

/* Append up to `room` bytes of text at dst; *got = 0 means end of input. */
static mb_status text_read(mb_input *in, char *dst, size_t room, size_t *got,
                           mb_error *err)
{
    if (!in->gzip)
        return src_read(in, dst, room, got, err);
    *got = 0;
    while (*got == 0) {
        if (in->raw_len == 0 && !in->src_eof) {
            mb_status st = src_read(in, in->raw, CHUNK, &in->raw_len, err);
            if (st)
                return st;
            if (in->raw_len == 0)
                in->src_eof = 1;
            in->z.next_in = in->raw;
            in->z.avail_in = (uInt)in->raw_len;
        }
        if (in->z.avail_in == 0 && in->src_eof) {
            if (in->gzip == 2) /* inside a member */
                return mb_error_set(err, MB_EFORMAT,
                                    "%s: gzip stream is truncated", in->name);
            return MB_OK;
        }
        in->z.next_out = (Bytef *)dst;
        in->z.avail_out = (uInt)room;
        in->gzip = 2;
        int rc = inflate(&in->z, Z_NO_FLUSH);
        *got = room - in->z.avail_out;
        if (in->z.avail_in == 0)
            in->raw_len = 0;
        if (rc == Z_STREAM_END) {
            /* A gzip file may hold several members back to back. */
            in->gzip = 1;
            if (inflateReset(&in->z) != Z_OK)
                return mb_error_set(err, MB_EINTERNAL, "%s: inflateReset",
                                    in->name);
        } else if (rc == Z_BUF_ERROR && in->z.avail_in == 0) {
            continue; /* needs more input */
        } else if (rc != Z_OK) {
            return mb_error_set(err, MB_EFORMAT, "%s: gzip: %s", in->name,
                                in->z.msg ? in->z.msg : "corrupt data");
        }
    }
    return MB_OK;
}

/* Make at least `want` unconsumed bytes available, or all that remain. */
static mb_status fill(mb_input *in, size_t want, mb_error *err)
{
    while (!in->eof && in->len - in->pos < want) {
        if (in->pos > 0) {
            memmove(in->buf, in->buf + in->pos, in->len - in->pos);
            in->len -= in->pos;
            in->pos = 0;
        }
        if (in->cap - in->len < CHUNK / 4) {
            if (in->cap >= MB_INPUT_MAX_LINE + CHUNK)
                return mb_error_at(err, MB_EFORMAT, in->name, in->lineno + 1,
                                   NULL, "line longer than %u bytes",
                                   MB_INPUT_MAX_LINE);
            size_t ncap = in->cap * 2;
            char *nb = realloc(in->buf, ncap);
            if (!nb)
                return mb_error_set(err, MB_ENOMEM, "%s: out of memory",
                                    in->name);
            in->buf = nb;
            in->cap = ncap;
        }
        size_t got;
        mb_status st = text_read(in, in->buf + in->len, in->cap - in->len,
                                 &got, err);
        if (st)
            return st;
        if (got == 0)
            in->eof = 1;
        in->len += got;
    }
    return MB_OK;
}

static mb_status input_new(const char *name, src_kind kind, mb_input **out,
                           mb_error *err)
{
    mb_input *in = calloc(1, sizeof *in);
    if (!in || !(in->name = strdup(name)) || !(in->buf = malloc(CHUNK))) {
        if (in)
            free(in->name);
        free(in);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    in->kind = kind;
    in->fd = -1;
    in->cap = CHUNK;
    *out = in;
    return MB_OK;
}

/* Called once after the source is set: switch to inflating on gzip magic. */
static mb_status detect_gzip(mb_input *in, mb_error *err)
{
    mb_status st = fill(in, 2, err);
    if (st)
        return st;
    if (in->len - in->pos < 2 || (unsigned char)in->buf[in->pos] != 0x1f ||
        (unsigned char)in->buf[in->pos + 1] != 0x8b)
        return MB_OK;
    /* The bytes already read are compressed: move them to the raw side. */
    in->raw = malloc(CHUNK > in->len ? CHUNK : in->len);
    if (!in->raw)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    memcpy(in->raw, in->buf, in->len);
    in->raw_len = in->len;
    in->pos = in->len = 0;
    in->eof = 0;
    in->src_eof = 0;
    if (inflateInit2(&in->z, 15 + 16) != Z_OK)
        return mb_error_set(err, MB_ENOMEM, "%s: inflateInit failed",
                            in->name);
    in->z.next_in = in->raw;
    in->z.avail_in = (uInt)in->raw_len;
    in->gzip = 1;
    return MB_OK;
}

mb_status mb_input_open_mem(const char *name, const void *data, size_t len,
                            mb_input **out, mb_error *err)
{
    mb_status st = input_new(name, SRC_MEM, out, err);
    if (st)
        return st;
    (*out)->mem = data;
    (*out)->mem_len = len;
    if ((st = detect_gzip(*out, err))) {
        mb_input_close(*out);
        *out = NULL;
    }
    return st;
}

void mb_input_close(mb_input *in)
{
    if (!in)
        return;
    if (in->gzip)
        inflateEnd(&in->z);
    if (in->zf)
        zip_fclose(in->zf);
    free(in->raw);
    free(in->buf);
    free(in->name);
    free(in);
}

mb_status mb_input_line(mb_input *in, const char **line, size_t *len,
                        mb_error *err)
{
    size_t scanned = 0;
    for (;;) {
        char *start = in->buf + in->pos;
        size_t avail = in->len - in->pos;
        char *nl = memchr(start + scanned, '\n', avail - scanned);
        if (nl || (in->eof && avail)) {
            size_t n = nl ? (size_t)(nl - start) : avail;
            in->pos += nl ? n + 1 : n;
            if (n && start[n - 1] == '\r')
                n--;
            if (n > MB_INPUT_MAX_LINE)
                return mb_error_at(err, MB_EFORMAT, in->name, in->lineno + 1,
                                   NULL, "line longer than %u bytes",
                                   MB_INPUT_MAX_LINE);
            in->lineno++;
            *line = start;
            *len = n;
            return MB_OK;
        }
        if (in->eof) {
            *line = NULL;
            *len = 0;
            return MB_OK;
        }
        scanned = avail;
        mb_status st = fill(in, avail + 1, err);
        if (st)
            return st;
    }
}

mb_status mb_input_peek(mb_input *in, size_t want, const char **data,
                        size_t *len, mb_error *err)
{
    mb_status st = fill(in, want, err);
    if (st)
        return st;
    *data = in->buf + in->pos;
    *len = in->len - in->pos < want ? in->len - in->pos : want;
    return MB_OK;
}

const char *mb_input_name(const mb_input *in) { return in->name; }
long mb_input_lineno(const mb_input *in) { return in->lineno; }
uint64_t mb_input_raw_bytes(const mb_input *in) { return in->raw_bytes; }

/* ---- paths: plain, gzip, zip ------------------------------------------- */

static mb_status foreach_zip(const char *path, int fd, mb_input_fn fn,
                             void *ctx, mb_error *err)
{
    int zerr = 0;
    zip_t *za = zip_fdopen(fd, ZIP_RDONLY, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        mb_error_set(err, MB_EFORMAT, "%s: not a readable zip archive: %s",
                     path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        close(fd);
        return MB_EFORMAT;
    }
    mb_status st = MB_OK;
    zip_int64_t n = zip_get_num_entries(za, 0);
    int members = 0;
    for (zip_int64_t i = 0; i < n && !st; i++) {
        const char *mname = zip_get_name(za, (zip_uint64_t)i, 0);
        if (!mname || !*mname || mname[strlen(mname) - 1] == '/')
            continue; /* directories */
        char name[1024];
        snprintf(name, sizeof name, "%s:%s", path, mname);
        mb_input *in = NULL;
        if ((st = input_new(name, SRC_ZIP, &in, err)))
            break;
        in->zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
        if (!in->zf) {
            st = mb_error_set(err, MB_EFORMAT, "%s: %s", name,
                              zip_strerror(za));
        } else if (!(st = detect_gzip(in, err))) {
            members++;
            st = fn(ctx, in, err);
        }
        mb_input_close(in);
    }
    zip_discard(za);
    if (!st && !members)
        st = mb_error_set(err, MB_EFORMAT, "%s: zip archive has no files",
                          path);
    return st;
}

/* Copy standard input to an anonymous temporary file so that a zip on
 * stdin can be read (zip needs random access to its central directory). */
static mb_status spool_stdin(mb_input *in, int *fd_out, mb_error *err)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return mb_error_set(err, MB_EIO, "stdin: tmpfile: %s",
                            strerror(errno));
    int fd = dup(fileno(tmp));
    fclose(tmp);
    if (fd < 0)
        return mb_error_set(err, MB_EIO, "stdin: dup: %s", strerror(errno));
    for (;;) {
        if (in->len > in->pos &&
            write(fd, in->buf + in->pos, in->len - in->pos) !=
                (ssize_t)(in->len - in->pos)) {
            mb_error_set(err, MB_EIO, "stdin: spooling: %s", strerror(errno));
            close(fd);
            return MB_EIO;
        }
        in->pos = in->len = 0;
        if (in->eof)
            break;
        mb_status st = fill(in, 1, err);
        if (st) {
            close(fd);
            return st;
        }
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return mb_error_set(err, MB_EIO, "stdin: lseek: %s", strerror(errno));
    }
    *fd_out = fd;
    return MB_OK;
}

mb_status mb_input_foreach(const char *path, mb_input_fn fn, void *ctx,
                           mb_error *err)
{
    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "stdin" : path;
    int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mb_error_set(err, MB_EIO, "%s: %s", name, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        return mb_error_set(err, MB_EINVAL, "%s: is a directory", name);
    }
    mb_input *in = NULL;
    mb_status st = input_new(name, SRC_FD, &in, err);
    if (st) {
        close(fd);
        return st;
    }
    in->fd = fd;
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    const char *head;
    size_t n;
    if ((st = mb_input_peek(in, 4, &head, &n, err)))
        goto out;
    if (n == 4 && !memcmp(head, "PK\3\4", 4)) {
        int zfd = fd;
        if (is_stdin) {
            if ((st = spool_stdin(in, &zfd, err)))
                goto out;
        } else {
            zfd = dup(fd);
            if (zfd < 0) {
                st = mb_error_set(err, MB_EIO, "%s: dup: %s", name,
                                  strerror(errno));
                goto out;
            }
            lseek(zfd, 0, SEEK_SET);
        }
        st = foreach_zip(name, zfd, fn, ctx, err); /* owns zfd */
        goto out;
    }
    if (!(st = detect_gzip(in, err)))
        st = fn(ctx, in, err);
out:
    close(fd);
    mb_input_close(in);
    return st;
}
