/* cd_target_inject_syscall and the snapshot target (src/target/snapshot.c), on real processes:
 * - a system call run inside a thread blocked in nanosleep returns the right value (getpid, an
 *   mmap whose page then appears in /proc/PID/maps and holds what we write), leaves the thread's
 *   registers exactly as they were, and the interrupted sleep goes on after we leave (the
 *   process is still there, sleeping, not ended early by a mangled restart);
 * - the snapshot answers from its copy, then from the base, refuses its denied range, never runs,
 *   and moves stop_gen at every instant;
 * - the unwinder on a snapshot: a thread caught on the child's side of glibc's clone3 stub, a few
 *   instructions after the system call (rax 0, not in a system call), is one frame, never a second
 *   one made of what the reused stack held at sp (the churn flake of spine_edge). */
#include "target/target.h"
#include "symbols/symbols.h"
#include "unwind/unwind.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Waits until pid is asleep in nanosleep/clock_nanosleep (35, 230), or restart_syscall (219):
 * how a sleep interrupted by a ptrace stop goes on. */
static void wait_sleeping(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    for (;;) {
        FILE *f = fopen(path, "r");
        if (f) {
            bool ok = fgets(buf, sizeof buf, f) && (atoi(buf) == 35 || atoi(buf) == 230 || atoi(buf) == 219);
            fclose(f);
            if (ok)
                return;
        }
        usleep(1000);
    }
}

static bool maps_has(pid_t pid, uint64_t addr)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && fgets(line, sizeof line, f))
        if (strtoull(line, NULL, 16) == addr)
            found = true;
    if (f)
        fclose(f);
    return found;
}

static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    char st = '?';
    if (fgets(buf, sizeof buf, f)) {
        char *p = strrchr(buf, ')');
        if (p && p[1])
            st = p[2];
    }
    fclose(f);
    return st;
}

int main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sleep", "sleep", "1000", (char *)NULL);
        _exit(127);
    }
    wait_sleeping(pid);

    cd_err err = {0};
    cd_target *t = cd_live_attach(pid, CD_ATTACH_STOP_ALL, &err);
    if (!t) {
        fprintf(stderr, "FAIL attach: %s\n", err.msg);
        kill(pid, SIGKILL);
        return 1;
    }
    cd_thread *th = t->threads[0];
    cd_regs before, after;
    CHECK(t->ops->get_regs(t, th, &before, &err) == 0, "%s", err.msg);
    CHECK((int64_t)before.orig_rax == 35 || (int64_t)before.orig_rax == 230, "not stopped in its sleep: orig_rax %lld",
          (long long)before.orig_rax);

    uint64_t a0[6] = {0};
    int64_t ret = 0;
    CHECK(cd_target_inject_syscall(t, th, SYS_getpid, a0, &ret, &err) == 0, "getpid: %s", err.msg);
    CHECK(ret == pid, "getpid returned %lld, expected %d", (long long)ret, (int)pid);

    uint64_t am[6] = {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0};
    CHECK(cd_target_inject_syscall(t, th, SYS_mmap, am, &ret, &err) == 0, "mmap: %s", err.msg);
    uint64_t page = (uint64_t)ret;
    CHECK(ret > 0 && (page & 4095) == 0, "mmap returned %llx", (unsigned long long)page);
    CHECK(maps_has(pid, page), "the mmap'd page %llx is not in /proc/%d/maps", (unsigned long long)page, (int)pid);
    const char pat[] = "live bytes of the page, not of the copy";
    CHECK(t->ops->write_mem(t, page, pat, sizeof pat, &err) == 0, "write: %s", err.msg);

    CHECK(t->ops->get_regs(t, th, &after, &err) == 0, "%s", err.msg);
    CHECK(memcmp(&before, &after, sizeof before) == 0, "registers changed: rip %llx -> %llx, rax %llx -> %llx, orig_rax %lld -> %lld",
          (unsigned long long)before.rip, (unsigned long long)after.rip, (unsigned long long)before.rax,
          (unsigned long long)after.rax, (long long)before.orig_rax, (long long)after.orig_rax);

    /* ---- the snapshot ---- */
    cd_target *snap = cd_snapshot_new(t, &err);
    CHECK(snap != NULL, "%s", err.msg);
    if (snap) {
        char copy[16];
        memset(copy, 'C', sizeof copy);
        cd_snapshot_instant in = {.tid = pid, .regs = before, .mem_addr = page, .mem = copy, .mem_len = sizeof copy};
        in.regs.rip = 0x1234;
        uint64_t gen = snap->stop_gen;
        CHECK(cd_snapshot_set(snap, &in, &err) == 0, "%s", err.msg);
        CHECK(snap->stop_gen != gen, "stop_gen did not move");
        memset(copy, 'X', sizeof copy); /* the snapshot must have taken its own copy */
        char buf[32] = {0};
        CHECK(snap->ops->read_mem(snap, page, buf, 32) == 32, "read across the copy's end");
        CHECK(memcmp(buf, "CCCCCCCCCCCCCCCC", 16) == 0 && memcmp(buf + 16, pat + 16, 16) == 0,
              "read %.32s", buf);
        cd_regs r;
        CHECK(snap->ops->get_regs(snap, snap->threads[0], &r, &err) == 0 && r.rip == 0x1234, "rip %llx",
              (unsigned long long)r.rip);
        CHECK(snap->nthreads == 1 && snap->threads[0]->tid == pid && snap->threads[0]->held, "one held thread");
        cd_err e2 = {0};
        CHECK(snap->ops->cont(snap, &e2) < 0 && e2.kind == CD_EK_UNSUPPORTED, "a snapshot ran");
        in.deny_lo = page;
        in.deny_hi = page + 4096;
        in.mem = copy;
        CHECK(cd_snapshot_set(snap, &in, &err) == 0, "%s", err.msg);
        CHECK(snap->ops->read_mem(snap, page, buf, 32) == 16, "the denied range was read from the base");
        CHECK(snap->ops->read_mem(snap, page + 100, buf, 4) == -1, "the denied range was read from the base");

        /* The child's side of clone3: just after its `syscall`, where the parent's CFI still applies
         * (from the `xor %ebp,%ebp` on, the stub's CFI says the chain ends). */
        cd_symtab *sym = cd_symtab_new(t, &err);
        CHECK(sym != NULL, "%s", err.msg);
        uint64_t clone3 = 0;
        if (sym && cd_symtab_find_function(sym, "__clone3", &clone3) < 0)
            cd_symtab_find_function(sym, "clone3", &clone3);
        CHECK(clone3 != 0, "no clone3 in the process's libc");
        unsigned char code[64];
        uint64_t child_pc = 0;
        if (clone3 && cd_target_read_full(t, clone3, code, sizeof code) == 0)
            for (size_t k = 0; k + 1 < sizeof code && !child_pc; k++)
                if (code[k] == 0x0f && code[k + 1] == 0x05)
                    child_pc = clone3 + k + 2;
        CHECK(child_pc != 0, "no syscall in clone3");
        cd_unwinder *u = sym ? cd_unwinder_new(snap, sym, &err) : NULL;
        if (u && child_pc) {
            uint64_t garbage[4] = {page + 0x240, child_pc + 0x100, 0, 0}; /* what an old stack held */
            cd_snapshot_instant nb = {.tid = pid, .regs = before, .mem_addr = page + 2048, .mem = garbage,
                                      .mem_len = sizeof garbage};
            nb.regs.rip = child_pc;
            nb.regs.rax = 0;
            nb.regs.orig_rax = (uint64_t)-1;
            nb.regs.rsp = page + 2048;
            nb.regs.rbp = page + 2048 + 64;
            CHECK(cd_snapshot_set(snap, &nb, &err) == 0, "%s", err.msg);
            cd_stack st;
            CHECK(cd_unwind_thread(u, snap->threads[0], 0, &st, &err) == 0, "%s", err.msg);
            CHECK(st.n == 1, "a newborn thread on clone3's child side unwound to %zu frames (frame 1 pc %llx)", st.n,
                  st.n > 1 ? (unsigned long long)st.frames[1].pc : 0ull);
            cd_stack_free(&st);
        }
        cd_unwinder_free(u);
        cd_symtab_free(sym);
        cd_target_close(snap);
    }

    uint64_t au[6] = {page, 4096};
    CHECK(cd_target_inject_syscall(t, th, SYS_munmap, au, &ret, &err) == 0 && ret == 0, "munmap: %lld %s",
          (long long)ret, err.msg);
    CHECK(!maps_has(pid, page), "munmap left the page");

    cd_target_close(t);
    /* The sleep of 1000 s was interrupted by our stop; restarted correctly it is still asleep.
     * A restart mangled by our system call would run another one, or end the sleep. */
    usleep(100 * 1000);
    int st;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "sleep ended after we left (status %#x)", st);
    wait_sleeping(pid);
    CHECK(proc_state(pid) == 'S', "state %c", proc_state(pid));
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
