/* The debuginfod tests' program (tests/integration/debuginfod/): the test compiles it with its
 * DWARF naming /cdbg-debuginfod-src/dbgi.c (a path no machine has), splits the debug info off and
 * serves it and this source from a local debuginfod. It prints "ready" and sleeps three calls deep,
 * with a local in each frame. -DOTHER makes another build-id (a program no server knows); -DLIB
 * goes through dbgi_lib.c's lib_call (a second module to fetch) on the way. */
#include <stdio.h>
#include <unistd.h>

static int depth(int n)
{
    int local = n * 7;
    if (n > 0)
        return depth(n - 1) + local;
    printf("ready\n");
    fflush(stdout);
    pause();
    return local;
}

#ifdef LIB
int lib_call(int (*fn)(int), int arg);
#endif

int main(void)
{
#ifdef OTHER
    printf("other\n");
#endif
#ifdef LIB
    return lib_call(depth, 2) == 0;
#else
    return depth(2) == 0;
#endif
}
