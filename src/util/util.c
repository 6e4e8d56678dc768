
#include "util/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cd_fail(cd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
        err->kind = CD_EK_OTHER;
    }
    return -1;
}

int cd_failk(cd_err *err, int code, cd_err_kind kind, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
        err->kind = kind;
    }
    return -1;
}

void cd_err_clear(cd_err *err)
{
    if (err) {
        err->code = 0;
        err->kind = CD_EK_OTHER;
        err->msg[0] = 0;
    }
}

static void oom(void)
{
    /* Out of memory leaves no sane way to continue; abort is caught by our fatal-signal cleanup. */
    fputs("cdbg: out of memory\n", stderr);
    abort();
}

void *cd_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *cd_xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        oom();
    return p;
}

void *cd_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *cd_xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        oom();
    return p;
}

char *cd_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        oom();
    return s;
}

void cd_buf_vprintf(cd_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 128;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        b->s = cd_xrealloc(b->s, nc);
        b->cap = nc;
    }
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void cd_buf_printf(cd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cd_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cd_buf_append(cd_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 128;
        while (nc < b->len + n + 1)
            nc *= 2;
        b->s = cd_xrealloc(b->s, nc);
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void cd_buf_puts(cd_buf *b, const char *s) { cd_buf_append(b, s, strlen(s)); }

void cd_buf_reset(cd_buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = 0;
}

void cd_buf_free(cd_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

const char *cd_buf_str(const cd_buf *b) { return b->s ? b->s : ""; }

uint64_t cd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

char *cd_read_file(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = cd_xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = cd_xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = 0;
    if (len_out)
        *len_out = len;
    return buf;
}

bool cd_parse_uint(const char *s, unsigned long long *out)
{
    if (!s || !*s)
        return false;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned long long nv = v * 10 + (unsigned long long)(*p - '0');
        if (nv / 10 != v)
            return false;
        v = nv;
    }
    *out = v;
    return true;
}

static const char dec_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";

size_t cd_u64_dec(uint64_t v, char *out)
{
    char t[24];
    int i = sizeof t;
    /* a timestamp has 14+ digits: 8 at a time in 32-bit arithmetic, then the rest by pairs */
    while (v >= 100000000) {
        uint32_t w = (uint32_t)(v % 100000000);
        v /= 100000000;
        for (int k = 0; k < 4; k++) {
            uint32_t d = (w % 100) * 2;
            w /= 100;
            t[--i] = dec_pairs[d + 1];
            t[--i] = dec_pairs[d];
        }
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        uint32_t d = (w % 100) * 2;
        w /= 100;
        t[--i] = dec_pairs[d + 1];
        t[--i] = dec_pairs[d];
    }
    if (w >= 10) {
        t[--i] = dec_pairs[w * 2 + 1];
        t[--i] = dec_pairs[w * 2];
    } else {
        t[--i] = (char)('0' + w);
    }
    size_t n = sizeof t - (size_t)i;
    memcpy(out, t + i, n);
    out[n] = 0;
    return n;
}

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);
static cxa_demangle_fn cxa_demangle;
static pthread_once_t cxa_once = PTHREAD_ONCE_INIT;

static void cxa_load(void)
{
    /* the C++ ABI's soname, unchanged since GCC 3.4; never closed: names stay valid */
    void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
    void *f = h ? dlsym(h, "__cxa_demangle") : NULL;
    /* POSIX guarantees a function pointer round-trips through void * (dlsym) */
    memcpy(&cxa_demangle, &f, sizeof f);
}

char *cd_cxa_demangle(const char *mangled, int *status)
{
    pthread_once(&cxa_once, cxa_load);
    *status = -1;
    return cxa_demangle ? cxa_demangle(mangled, NULL, NULL, status) : NULL;
}
