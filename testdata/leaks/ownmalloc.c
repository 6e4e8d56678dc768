/* A program with an allocator of its own (malloc and free defined here, interposing libc's, as
 * jemalloc or tcmalloc would): `cdbg leaks` says its malloc is not libc's. Prints "ready" and waits. */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

static _Alignas(16) unsigned char heap[1 << 20];
static size_t used;

void *malloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (used + n > sizeof heap)
        return NULL;
    used += n;
    return heap + used - n;
}

void free(void *p)
{
    (void)p;
}

void *calloc(size_t a, size_t b)
{
    void *p = malloc(a * b);
    if (p)
        memset(p, 0, a * b);
    return p;
}

void *realloc(void *p, size_t n)
{
    void *q = malloc(n);
    if (q && p)
        memcpy(q, p, n); /* a bump allocator: the old block is at least as long as it was asked */
    return q;
}

static void *volatile keep;

int main(void)
{
    keep = malloc(10);
    if (write(1, "ready\n", 6) < 0)
        return 1;
    pause();
    return 0;
}
