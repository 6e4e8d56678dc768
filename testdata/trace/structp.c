/* A struct passed by pointer: handle(r) for ten requests, id i and size i * 100. */
#include <stdio.h>

struct req {
    int id;
    const char *path;
    long size;
};

__attribute__((noinline, noclone)) long handle(struct req *r)
{
    __asm__ volatile("" ::: "memory");
    return r->size + r->id;
}

int main(void)
{
    static const char *paths[] = {"/a", "/b"};
    long s = 0;
    for (int i = 0; i < 10; i++) {
        struct req r = {i, paths[i % 2], i * 100L};
        s += handle(&r);
    }
    printf("s %ld\n", s);
    return 0;
}
