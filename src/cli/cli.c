/*
 * cli.c - helpers shared by the subcommands (see cli.h).
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

void mb_cli_error(const char *cmd, const mb_error *err)
{
    fprintf(stderr, "meterbase %s: %s\n", cmd,
            err->msg[0] ? err->msg : mb_status_str(err->status));
}

int mb_cli_exit_for(mb_status st)
{
    switch (st) {
    case MB_OK: return MB_EXIT_OK;
    case MB_EFORMAT:
    case MB_ERANGE: return MB_EXIT_DATA;
    case MB_EINVAL: return MB_EXIT_USAGE;
    default: return MB_EXIT_FAIL;
    }
}

mb_store *mb_cli_open_store(const char *cmd, const char *uri)
{
    char def[4096];
    if (!uri)
        uri = mb_store_default_uri(def, sizeof def);
    mb_store *s = NULL;
    mb_error err;
    if (mb_store_open(uri, &s, &err)) {
        mb_cli_error(cmd, &err);
        return NULL;
    }
    return s;
}

const char *mb_cli_count(uint64_t n, char *buf, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *mb_cli_bytes(double b, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", b, units[u]);
    return buf;
}
