/*
 * digest.c - SHA-256 with OpenSSL's EVP interface (see digest.h).
 */
#include "core/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mb_digest {
    EVP_MD_CTX *ctx;
};

mb_status mb_digest_new(mb_digest **out, mb_error *err)
{
    mb_digest *d = malloc(sizeof *d);
    if (!d || !(d->ctx = EVP_MD_CTX_new())) {
        free(d);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    if (EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(d->ctx);
        free(d);
        return mb_error_set(err, MB_EINTERNAL, "SHA-256 unavailable");
    }
    *out = d;
    return MB_OK;
}

void mb_digest_update(mb_digest *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->ctx, data, len);
}

void mb_digest_final(mb_digest *d, char hex[MB_DIGEST_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(d->ctx, md, &n);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n && i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    EVP_MD_CTX_free(d->ctx);
    free(d);
}

mb_status mb_digest_file(const char *path, char hex[MB_DIGEST_HEX],
                         uint64_t *size, mb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mb_error_set(err, MB_EIO, "%s: %s", path, strerror(errno));
    mb_digest *d;
    mb_status st = mb_digest_new(&d, err);
    if (st) {
        close(fd);
        return st;
    }
    enum { BUF = 1 << 20 };
    unsigned char *buf = malloc(BUF);
    if (!buf) {
        close(fd);
        mb_digest_final(d, hex);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = mb_error_set(err, MB_EIO, "%s: read: %s", path,
                              strerror(errno));
            break;
        }
        if (n == 0)
            break;
        mb_digest_update(d, buf, (size_t)n);
        total += (uint64_t)n;
    }
    free(buf);
    close(fd);
    mb_digest_final(d, hex);
    if (size)
        *size = total;
    return st;
}
