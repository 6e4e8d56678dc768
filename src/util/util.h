/* Small shared helpers: errors, growable strings, allocation, time.
 * Everything here is reentrant; nothing keeps process-wide mutable state. */
#ifndef CD_UTIL_H
#define CD_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses, documented in --help and docs/commands.md. */
enum {
    CD_EXIT_OK = 0,
    CD_EXIT_CMD = 1,     /* a command failed (batch stops at the first failure) */
    CD_EXIT_USAGE = 2,   /* bad command line */
    CD_EXIT_FOUND = 3,   /* `cdbg deadlock`: a deadlock or a thread blocked forever was found */
    CD_EXIT_TARGET = 4,  /* cannot attach / cannot open the target */
};

/* What kind of failure an error is, so callers branch on it instead of matching message text. */
typedef enum cd_err_kind {
    CD_EK_OTHER = 0,     /* anything not listed below */
    CD_EK_EXITED,        /* the process is gone (exited, killed): nothing runs any more */
    CD_EK_UNSUPPORTED,   /* the backend cannot do it (a core cannot run, write or step) */
    CD_EK_THREAD_GONE,   /* the thread exited since it was listed */
    CD_EK_MEMORY,        /* an address that cannot be read or written */
    CD_EK_NOT_FOUND,     /* no such function, file, line, breakpoint, thread, signal... */
    CD_EK_USAGE,         /* a malformed argument */
    CD_EK_LIMIT,         /* a resource ran out (debug registers, breakpoint slots) */
    CD_EK_PERMISSION,    /* the kernel refused (ptrace scope, another tracer, EPERM) */
    CD_EK_SECCOMP,       /* a system call cdbg would run in the process is one its seccomp filter
                            stops (or its filter cannot be read): nothing was injected */
} cd_err_kind;

/* One user-facing error: a single line saying what failed, why, and what to do.
 * `code` is the exit status the failure maps to (CD_EXIT_*); `kind` what failed (CD_EK_*). */
typedef struct cd_err {
    int code;
    int kind;
    char msg[1024];
} cd_err;

/* Sets err (if non-NULL) and returns -1, so callers can `return cd_fail(err, ...)`. The kind is
 * CD_EK_OTHER; cd_failk names it. */
int cd_fail(cd_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cd_failk(cd_err *err, int code, cd_err_kind kind, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cd_err_clear(cd_err *err);

void *cd_xmalloc(size_t n);
void *cd_xcalloc(size_t n, size_t sz);
void *cd_xrealloc(void *p, size_t n);
char *cd_xstrdup(const char *s);
char *cd_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable NUL-terminated string. Zero-initialise ({0}) before use. */
typedef struct cd_buf {
    char *s;
    size_t len, cap;
} cd_buf;
void cd_buf_printf(cd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cd_buf_vprintf(cd_buf *b, const char *fmt, va_list ap);
void cd_buf_append(cd_buf *b, const char *s, size_t n);
void cd_buf_puts(cd_buf *b, const char *s);
void cd_buf_reset(cd_buf *b);
void cd_buf_free(cd_buf *b);
const char *cd_buf_str(const cd_buf *b); /* "" when empty */

/* Monotonic clock in nanoseconds. */
uint64_t cd_now_ns(void);

/* Reads a whole small file (procfs) into a malloc'd NUL-terminated buffer; NULL + errno on failure. */
char *cd_read_file(const char *path, size_t *len_out);

/* Parses a decimal non-negative integer that fills the whole string. */
bool cd_parse_uint(const char *s, unsigned long long *out);

/* v in decimal into out (at least 21 bytes), NUL-terminated; returns the digits' count. Without
 * printf: the trace renderer writes millions of these a second. */
size_t cd_u64_dec(uint64_t v, char *out);

/* libstdc++'s __cxa_demangle (the demangler gdb's output matches, maintained with the ABI),
 * loaded from libstdc++.so.6 the first time a name is demangled: linking the C++ runtime would make
 * every start of cdbg pay its ~2400 symbol relocations, C programs or not. A malloc'd string, or
 * NULL with *status as __cxa_demangle's (-1 also when the library cannot be loaded: the caller
 * shows the name as mangled). */
char *cd_cxa_demangle(const char *mangled, int *status);

#endif
