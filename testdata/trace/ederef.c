/* -e expressions that read memory, copied at the hit (tests/integration/trace/ederef.sh).
 *
 * ederef N: N calls of f_node(r) where r->x, r->next->x, r->name and the string r->label points
 * to hold the call's index; f_node itself overwrites all of them right after the hit (-1, -2,
 * "gone"), so a value read after the hit instead of at it shows. Then: a node whose next is NULL
 * (r->next->x cannot be read), f_maybe on an unmapped address (r->x cannot be read; f_maybe does
 * not touch it), f_big(&BIG) (a 300-byte pointee), and a forked child that calls f_node on its own copy of the node (x = 1000)
 * while the parent's says -7: a child must read its own memory. Prints "sum S".
 *
 * ederef seccomp: installs a seccomp filter that kills the process at a process_vm_readv, prints
 * "ready", then calls f_node every 2 ms forever (cdbg attaches with -p). */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct node {
    int x;
    struct node *next;
    char name[16];
    const char *label;
};

char lbuf[32];
struct node A, B;
struct node *GP = &A; /* -e 'GP->x': a chain from a global */

__attribute__((noinline)) int f_node(struct node *r)
{
    int v = r->x + (r->next ? r->next->x : 0);
    r->x = -1;
    if (r->next)
        r->next->x = -2;
    strcpy(r->name, "gone");
    strcpy(lbuf, "gone");
    __asm__ volatile("" ::: "memory");
    return v;
}

struct big {
    char b[300];
};
struct big BIG;

/* -e '*b' is larger than what a record copies per expression: read after the hit, with a note */
__attribute__((noinline)) int f_big(struct big *b)
{
    __asm__ volatile("" ::: "memory");
    return b->b[0];
}

__attribute__((noinline)) int f_maybe(struct node *r, int ok)
{
    __asm__ volatile("" ::: "memory");
    return ok ? r->x : 0;
}

static void set(int i)
{
    A.x = i;
    A.next = &B;
    B.x = 2 * i;
    snprintf(A.name, sizeof A.name, "n%d", i);
    snprintf(lbuf, sizeof lbuf, "L%d", i);
    A.label = lbuf;
}

static int seccomp_loop(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("seccomp");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    long s = 0;
    for (int i = 0;; i++) {
        set(i);
        s += f_node(&A);
        usleep(2000);
    }
    return (int)s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "seccomp"))
        return seccomp_loop();
    int n = argc > 1 ? atoi(argv[1]) : 100;
    long s = 0;
    for (int i = 0; i < n; i++) {
        set(i);
        s += f_node(&A);
    }
    set(5);
    A.next = NULL;
    s += f_node(&A);
    /* an address with nothing mapped: a page mapped, then unmapped */
    void *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(pg, 4096);
    s += f_maybe((struct node *)((char *)pg + 64), 0);
    s += f_big(&BIG);
    int pfd[2];
    if (pipe(pfd) == 0) {
        set(7);
        pid_t c = fork();
        if (c == 0) {
            char b;
            if (read(pfd[0], &b, 1) != 1)
                _exit(3);
            set(1000);
            _exit(f_node(&A) == 3000 ? 0 : 4);
        }
        A.x = -7; /* the parent's, while the child's node says 1000 */
        B.x = -7;
        if (write(pfd[1], "x", 1) != 1)
            return 5;
        int st = 0;
        waitpid(c, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            printf("child failed %d\n", st);
    }
    printf("sum %ld\n", s);
    return 0;
}
