/* fault: a fault the CPU raises, chosen by argv[1] (tests/integration/sig/fault.sh). Before it
 * faults, the program says which thread will take it and the address that will fault, so the test
 * can compare them with what cdbg reports:
 *   segv  a second thread writes to an unmapped page ("fault tid T addr A"; SEGV_MAPERR)
 *   fpe   integer division by zero (the address is the dividing instruction's: "fault tid T")
 *   ill   ud2 (an undefined instruction)
 *   bus   a read past the end of a file mapping (BUS_ADRERR) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int *target;
static volatile int divisor;

__attribute__((noinline)) static void poke(volatile int *p, int v)
{
    *p = v; /* @poke */
}

static void *segv_thread(void *arg)
{
    (void)arg;
    printf("fault tid %d addr %p\n", (int)gettid(), (void *)target);
    fflush(stdout);
    poke(target, 42);
    return NULL;
}

__attribute__((noinline)) static int divide(int a)
{
    return a / divisor; /* @divide */
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "segv";
    long page = sysconf(_SC_PAGESIZE);
    if (!strcmp(what, "segv")) {
        /* a page that was mapped and is no more: nothing else will be mapped there meanwhile */
        char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 2;
        munmap(p, (size_t)page);
        target = (volatile int *)(p + 0x124);
        pthread_t t;
        pthread_create(&t, NULL, segv_thread, NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(what, "fpe")) {
        printf("fault tid %d\n", (int)gettid());
        fflush(stdout);
        printf("%d\n", divide(7));
    } else if (!strcmp(what, "ill")) {
        printf("fault tid %d\n", (int)gettid());
        fflush(stdout);
        __asm__ volatile("ud2"); /* @ud2 */
    } else if (!strcmp(what, "bus")) {
        FILE *f = tmpfile();
        if (!f)
            return 2;
        volatile char *m = mmap(NULL, (size_t)page * 2, PROT_READ, MAP_SHARED, fileno(f), 0);
        if (m == MAP_FAILED)
            return 2;
        printf("fault tid %d addr %p\n", (int)gettid(), (void *)(m + 8));
        fflush(stdout);
        /* the file is empty: no page backs the mapping */
        printf("%d\n", m[8]); /* @bus */
    }
    printf("no fault\n");
    return 0;
}
