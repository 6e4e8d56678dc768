/* segv: a thread other than main dies with SIGSEGV and leaves a core (run it with
 * `ulimit -c unlimited` in a scratch dir), so a test can check the cause of death a core reports
 * against what the program knew before the fault.
 *
 *   segv_O0 null        the thread "faulter" writes to NULL            (SEGV_MAPERR, 0x0)
 *   segv_O0 unmapped    it writes to a page it mapped, then unmapped   (SEGV_MAPERR, that page)
 *   segv_O0 readonly    it writes to a page it mapped read-only        (SEGV_ACCERR, that page)
 *
 * Before the fault it prints to stderr, on one line: "tid TID addr 0xADDR" (the faulting thread's
 * TID and the exact address it writes to). main waits in pthread_join meanwhile (or is still
 * returning from pthread_create: tests do not check its state).
 *
 *   frame (noipa)   line marker
 *   segv_write      @segv_write    the faulting store
 *   faulter         @segv_call */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "spine_ready.h"

#define NOIPA __attribute__((noipa))

static const char *mode = "null";

NOIPA int segv_write(volatile int *p, int v)
{
    *p = v; /* @segv_write */
    return v + 1;
}

NOIPA void *faulter(void *arg)
{
    (void)arg;
    long page = sysconf(_SC_PAGESIZE);
    volatile int *p = NULL;
    if (!strcmp(mode, "unmapped") || !strcmp(mode, "readonly")) {
        int prot = !strcmp(mode, "readonly") ? PROT_READ : PROT_READ | PROT_WRITE;
        void *m = mmap(NULL, (size_t)page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            perror("segv: mmap");
            exit(2);
        }
        p = (volatile int *)((char *)m + 0x44); /* not page-aligned: the exact address is checked */
    }
    fprintf(stderr, "tid %d addr 0x%" PRIxPTR "\n", (int)spine_gettid(), (uintptr_t)p);
    fflush(stderr);
    /* unmapped only after printing: nothing in between may map the page again */
    if (!strcmp(mode, "unmapped"))
        munmap((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)), (size_t)page);
    int r = segv_write(p, 7); /* @segv_call */
    return (void *)(intptr_t)r;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        mode = argv[1];
    if (strcmp(mode, "null") && strcmp(mode, "unmapped") && strcmp(mode, "readonly")) {
        fprintf(stderr, "usage: segv null|unmapped|readonly\n");
        return 2;
    }
    pthread_t t;
    pthread_create(&t, NULL, faulter, NULL);
    pthread_setname_np(t, "faulter");
    void *r;
    pthread_join(t, &r);
    return (int)(intptr_t)r;
}
