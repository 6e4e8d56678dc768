/* The toolchain test program's shared declarations (see toolchain.c). */
#ifndef TOOLCHAIN_H
#define TOOLCHAIN_H

/* noipa (gcc) keeps a function's frame, name and calls at -O2 (no clones, no IPA register
 * allocation); clang has no noipa and keeps them with noinline. */
#ifdef __clang__
#define NOINL __attribute__((noinline))
#else
#define NOINL __attribute__((noinline, noipa))
#endif

struct point {
    int x, y;
    const char *name;
};

enum mode { MODE_IDLE, MODE_RUN = 4, MODE_DONE };

extern long shared_scale;
extern struct point origin;
extern __thread int tls_hits;

int report(int k, long scaled, int px);

#endif
