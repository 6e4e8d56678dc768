/* Strings a trace prints (tests/integration/trace/strings.sh, built there): show(s, n) with a
 * literal, a heap string that is freed (and its bytes reused) right after the call, and a string of
 * 300 bytes (print shows 200 and "..."); pick() returns a char pointer (--ret). `strings wait PATH`
 * then has two threads in nap() until PATH exists: calls still running when a trace ends. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) int show(const char *s, int n)
{
    return (int)strlen(s) + n;
}

__attribute__((noinline)) const char *pick(const char *s, int n)
{
    return s + n;
}

__attribute__((noinline)) static void wait_for(const char *path)
{
    while (access(path, F_OK) != 0)
        usleep(1000);
}

/* the loop is not nap's: no jump lands in the bytes the inline backend patches at its probe */
__attribute__((noinline)) int nap(const char *path)
{
    wait_for(path);
    return 1;
}

static void *napper(void *path)
{
    return (void *)(long)nap(path);
}

int main(int argc, char **argv)
{
    char *h = strdup("heap-string");
    int r = show("rodata-literal", 1);
    r += show(h, 2);
    free(h);
    char *o = strdup("OVERWRITTEN"); /* the freed bytes, reused at once */
    char *big = malloc(301);
    for (int i = 0; i < 300; i++)
        big[i] = (char)('a' + i % 26);
    big[300] = 0;
    r += show(big, 3);
    r += (int)strlen(pick(big, 290));
    free(big);
    printf("r %d %s\n", r, o);
    free(o);
    if (argc > 2 && !strcmp(argv[1], "wait")) {
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, napper, argv[2]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        printf("woke\n");
    }
    return 0;
}
