/* A stack whose return address was overwritten, as a buffer overflow would leave it: smash()
 * replaces its own return address with argv[1] (default 0x4141414141414141, non-canonical), prints
 * "ready" and sleeps in pause() (it never returns). An unwinder then finds a caller frame whose pc
 * is in no module: it must say so, never name a module the address is not in. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static void smash(uint64_t v)
{
    /* -fno-omit-frame-pointer: the return address is just above the saved frame pointer */
    void **ra = (void **)__builtin_frame_address(0) + 1;
    *ra = (void *)(uintptr_t)v;
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    smash(argc > 1 ? strtoull(argv[1], NULL, 0) : 0x4141414141414141ull);
    return 0;
}
