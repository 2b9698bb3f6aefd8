/* test_input.c - line splitting over plain, gzip and zip inputs. */
#include "formats/input.h"
#include "formats/reader.h"
#include "mbtest.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

typedef struct {
    int inputs;
    long lines;
    size_t bytes;
    char names[4][256];
} count_ctx;

static mb_status count_lines(void *ctx, mb_input *in, mb_error *err)
{
    count_ctx *c = ctx;
    if (c->inputs < 4)
        snprintf(c->names[c->inputs], sizeof c->names[0], "%s",
                 mb_input_name(in));
    c->inputs++;
    const char *l;
    size_t n;
    mb_status st;
    while (!(st = mb_input_line(in, &l, &n, err)) && l) {
        c->lines++;
        c->bytes += n;
    }
    return st;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    MB_CHECK(f != NULL);
    if (f) {
        MB_CHECK(fwrite(data, 1, len, f) == len);
        fclose(f);
    }
}

static void test_mem_lines(void)
{
    const char text[] = "a,b\r\n\nlast-without-newline";
    mb_input *in;
    mb_error err;
    MB_CHECK(mb_input_open_mem("mem", text, sizeof text - 1, &in, &err) == MB_OK);
    const char *l;
    size_t n;
    MB_CHECK(mb_input_line(in, &l, &n, &err) == MB_OK && n == 3 && !memcmp(l, "a,b", 3));
    MB_CHECK(mb_input_line(in, &l, &n, &err) == MB_OK && l && n == 0);
    MB_CHECK(mb_input_line(in, &l, &n, &err) == MB_OK && n == 20);
    MB_CHECK(mb_input_lineno(in) == 3);
    MB_CHECK(mb_input_line(in, &l, &n, &err) == MB_OK && l == NULL);
    mb_input_close(in);
}

/* Lines that straddle the internal 1 MiB chunks come back whole. */
static void test_big_and_gzip(void)
{
    char dir[] = "/tmp/mbtest-inputXXXXXX";
    MB_CHECK(mkdtemp(dir) != NULL);
    size_t nlines = 300000, len = 0;
    char *text = malloc(nlines * 20);
    for (size_t i = 0; i < nlines; i++)
        len += (size_t)sprintf(text + len, "line %zu,%zu\n", i, i * 7);
    char plain[512], gz[512];
    snprintf(plain, sizeof plain, "%s/a.csv", dir);
    snprintf(gz, sizeof gz, "%s/a.csv.gz", dir);
    write_file(plain, text, len);
    gzFile g = gzopen(gz, "wb");
    MB_CHECK(g != NULL);
    /* two gzip members back to back: both are read */
    gzwrite(g, text, (unsigned)(len / 2));
    gzclose(g);
    g = gzopen(gz, "ab");
    gzwrite(g, text + len / 2, (unsigned)(len - len / 2));
    gzclose(g);
    mb_error err;
    count_ctx c = {0};
    MB_CHECK(mb_input_foreach(plain, count_lines, &c, &err) == MB_OK);
    MB_CHECK(c.inputs == 1 && c.lines == (long)nlines && c.bytes == len - nlines);
    count_ctx z = {0};
    MB_CHECK(mb_input_foreach(gz, count_lines, &z, &err) == MB_OK);
    MB_CHECK(z.lines == (long)nlines && z.bytes == len - nlines);
    /* a truncated gzip stream is an error, not a short file */
    FILE *f = fopen(gz, "r+b");
    fseek(f, 0, SEEK_END);
    long gzlen = ftell(f);
    fclose(f);
    MB_CHECK(truncate(gz, gzlen / 2) == 0);
    count_ctx t = {0};
    MB_CHECK(mb_input_foreach(gz, count_lines, &t, &err) == MB_EFORMAT);
    MB_CHECK(strstr(err.msg, "truncated") != NULL);
    unlink(plain);
    unlink(gz);
    rmdir(dir);
    free(text);
}

static void test_zip(void)
{
    char dir[] = "/tmp/mbtest-zipXXXXXX";
    MB_CHECK(mkdtemp(dir) != NULL);
    char cmd[1024], path[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && printf 'x\\ny\\n' > one.csv && printf 'z\\n' > two.csv && "
             "zip -q pack.zip one.csv two.csv", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "zip not available; skipping zip test\n");
        return;
    }
    snprintf(path, sizeof path, "%s/pack.zip", dir);
    count_ctx c = {0};
    mb_error err;
    MB_CHECK(mb_input_foreach(path, count_lines, &c, &err) == MB_OK);
    MB_CHECK(c.inputs == 2 && c.lines == 3);
    MB_CHECK(strstr(c.names[1], "pack.zip:two.csv") != NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    MB_CHECK(system(cmd) == 0);
}

static void test_errors(void)
{
    mb_error err;
    count_ctx c = {0};
    MB_CHECK(mb_input_foreach("/nonexistent/x.csv", count_lines, &c, &err) == MB_EIO);
    MB_CHECK(strstr(err.msg, "/nonexistent/x.csv") != NULL);
    MB_CHECK(mb_input_foreach("/tmp", count_lines, &c, &err) == MB_EINVAL);
    /* a zip signature followed by junk is a clear format error */
    char path[] = "/tmp/mbtest-badzipXXXXXX";
    int fd = mkstemp(path);
    MB_CHECK(write(fd, "PK\3\4garbage-garbage", 19) == 19);
    close(fd);
    MB_CHECK(mb_input_foreach(path, count_lines, &c, &err) == MB_EFORMAT);
    MB_CHECK(strstr(err.msg, "zip") != NULL);
    unlink(path);
}

static void test_detect(void)
{
    static const struct {
        const char *text;
        mb_format want;
    } cases[] = {
        {"100,NEM12,200506081149,UNITEDDP,NEMMCO\n", MB_FORMAT_NEM12},
        {"\xEF\xBB\xBF" "100,NEM13,200506081149,A,B\n", MB_FORMAT_NEM13},
        {"\n\n200,NEM1201009,E1E2,1,E1,N1,01009,kWh,30,\n", MB_FORMAT_NEM12},
        {"ZHV|F1|D0010002|M|MDA|X|SUP|20260101000000||||OPER|\n", MB_FORMAT_D0010},
        {"meter,channel,start,end,value,unit\n", MB_FORMAT_CSV},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mb_input *in;
        mb_error err;
        mb_format f = MB_FORMAT_AUTO;
        MB_CHECK(mb_input_open_mem("t", cases[i].text, strlen(cases[i].text), &in, &err) == MB_OK);
        MB_CHECK(mb_format_detect(in, &f, &err) == MB_OK && f == cases[i].want);
        mb_input_close(in);
    }
    const char *bad[] = {"", "\n\n", "\x01\x02\x03junk", "hello,world\n"};
    const char *why[] = {"empty", "blank", "binary", "cannot tell"};
    for (size_t i = 0; i < 4; i++) {
        mb_input *in;
        mb_error err;
        mb_format f;
        MB_CHECK(mb_input_open_mem("bad.csv", bad[i], strlen(bad[i]), &in, &err) == MB_OK);
        MB_CHECK(mb_format_detect(in, &f, &err) == MB_EFORMAT);
        MB_CHECK(strstr(err.msg, why[i]) != NULL && strstr(err.msg, "bad.csv:1") != NULL);
        mb_input_close(in);
    }
}

int main(void)
{
    MB_RUN(test_mem_lines);
    MB_RUN(test_big_and_gzip);
    MB_RUN(test_zip);
    MB_RUN(test_errors);
    MB_RUN(test_detect);
    return MB_DONE();
}
