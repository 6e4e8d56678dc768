/* A thread that stops inside cdbg's patched code, deterministically (tests/integration/unwpatch):
 * the program finds cdbg's injected memory itself and makes it read-only, so the next write
 * cdbg's code makes there faults inside it.
 *   stubfault fastbp   (under `break tick` with an ignore count: a fast breakpoint) tick(0), then
 *                      the stub area's counters read-only (the span whose patch page header says
 *                      kind 1), then tick(1): SIGSEGV at the stub's `lock incq`
 *   stubfault inline   (under `cdbg trace --backend inline tick`) prints "ready", waits for one
 *                      byte on stdin, makes the trace ring (/memfd:cdbg-trace-ring) read-only and
 *                      calls tick(1): the record routine's write faults, and the SIGSEGV handler
 *                      sleeps in read(2) on a pipe nobody writes, the faulting frame below it */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

volatile long sink;
static int sleeper[2];

__attribute__((noipa)) void tick(long i)
{
    sink += i; /* @tick */
}

__attribute__((noipa)) void outer(long i)
{
    tick(i);
    sink++;
}

static void on_segv(int sig)
{
    (void)sig;
    char c;
    static const char msg[] = "in the handler\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(5);
    while (read(sleeper[0], &c, 1) != 0)
        ;
    _exit(4);
}

/* the first anonymous mapping whose line matches what want() says; its start, or 0 */
static uintptr_t find_mapping(int kind)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    uintptr_t found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        unsigned long s, e;
        char perm[8];
        int pos = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &s, &e, perm, &pos) < 3)
            continue;
        const char *path = line + pos;
        while (*path == ' ')
            path++;
        if (kind == 2) {
            if (strstr(path, "/memfd:cdbg-trace-ring"))
                found = s;
            continue;
        }
        /* cdbg's patch page: 64 KB spans with a header in their last 16 KB ("cdbgpat1", kind) */
        if (strcmp(perm, "r-xp") || *path != '\n')
            continue;
        uintptr_t base = s & ~(uintptr_t)0xffff;
        const uint8_t *h = (const uint8_t *)(base + 0x10000 - 0x4000);
        uint32_t k;
        memcpy(&k, h + 12, 4);
        if (e >= base + 0x10000 && !memcmp(h, "cdbgpat1", 8) && k == 1)
            found = base;
    }
    if (f)
        fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "fastbp")) {
        outer(0);
        uintptr_t area = find_mapping(1);
        if (area)
            mprotect((void *)area, 4096, PROT_READ); /* the counters */
        else
            printf("no stub area\n"); /* gdb's run, the reference */
        outer(1);
        printf("no fault\n");
        return 0;
    }
    if (pipe(sleeper) != 0)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    char go;
    if (read(0, &go, 1) != 1)
        return 3;
    uintptr_t ring = find_mapping(2);
    if (ring)
        mprotect((void *)ring, 4096 * 64, PROT_READ);
    else
        printf("no ring\n");
    outer(1);
    printf("no fault\n");
    return 0;
}
