/* src/target/seccomp: the classic-BPF interpreter and the combination of stacked filters, each
 * case checked against the kernel itself (a child installs the filters and makes the system call:
 * it runs, fails with the filter's errno, or dies of SIGSYS), then cd_seccomp_check on a stopped,
 * traced child: the filters read back with PTRACE_SECCOMP_GET_FILTER, the verdict, the message
 * and the error kind. */
#include "target/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;
/* the condition first: the message may show what it computed */
#define CHECK(c, ...)                                                                                               \
    do {                                                                                                            \
        bool ok_ = (c);                                                                                             \
        char what_[1400];                                                                                           \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                                                 \
        if (ok_)                                                                                                    \
            printf("ok: %s\n", what_);                                                                              \
        else {                                                                                                      \
            printf("FAIL: %s (line %d)\n", what_, __LINE__);                                                        \
            fails++;                                                                                                \
        }                                                                                                           \
    } while (0)

typedef struct {
    const struct sock_filter *f;
    unsigned short n;
} prog;
#define PROG(a) ((prog){a, sizeof a / sizeof a[0]})
#define NR offsetof(struct seccomp_data, nr)
#define ARG0_LO offsetof(struct seccomp_data, args[0])
#define ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)

static const struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
/* getppid and memfd_create kill the process */
static const struct sock_filter kill_getppid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};
static const struct sock_filter errno_getppid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static const struct sock_filter enosys_getppid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
/* getppid whose first argument is exactly 7 (both 32-bit halves) fails with EACCES; the arch is
 * checked as filters do */
static const struct sock_filter args_filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 5),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
/* the scratch memory, X, the ALU and JSET/JGT/JGE: getppid with arg0 having bit 4 set after
 * ((arg0 + 3) * 2) ^ 1, or with arg0 >= 1000 (through X), fails with EPERM */
static const struct sock_filter alu_filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_STMT(BPF_ST, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_MEM, 3),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 10),
    BPF_STMT(BPF_MISC | BPF_TXA, 0),
    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 3),
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 1),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10, 4, 0),
    BPF_STMT(BPF_LD | BPF_IMM, 999),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 1, 0), /* 999 >= arg0: allowed */
    BPF_STMT(BPF_JMP | BPF_JA, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
/* a division by a zero X: the kernel's program returns 0, SECCOMP_RET_KILL_THREAD */
static const struct sock_filter div_filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_IMM, 100),
    BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static const struct sock_filter trap_getppid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* What the kernel does: "ok", "errno N" or "signal N". */
static void kernel_outcome(const prog *ps, size_t np, long nr, const uint64_t a[6], char *out, size_t len)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
            _exit(90);
        for (size_t i = 0; i < np; i++) {
            struct sock_fprog fp = {ps[i].n, (struct sock_filter *)ps[i].f};
            if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp))
                _exit(91);
        }
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        _exit(r >= 0 ? 0 : errno < 150 ? 100 + errno : 99);
    }
    int st = 0;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st))
        snprintf(out, len, "signal %d", WTERMSIG(st));
    else if (WEXITSTATUS(st) == 0)
        snprintf(out, len, "ok");
    else if (WEXITSTATUS(st) >= 100)
        snprintf(out, len, "errno %d", WEXITSTATUS(st) - 100);
    else
        snprintf(out, len, "setup failed %d", WEXITSTATUS(st));
}

/* What cdbg predicts, with filter index 0 installed first as the kernel's index 0 is the oldest. */
static uint32_t verdict_of(const prog *ps, size_t np, long nr, const uint64_t a[6])
{
    struct seccomp_data d = {.nr = (int)nr, .arch = AUDIT_ARCH_X86_64};
    memcpy(d.args, a, sizeof d.args);
    uint32_t v = SECCOMP_RET_ALLOW;
    for (size_t i = np; i-- > 0;) {
        uint32_t r = 0;
        char why[160];
        if (cd_seccomp_run(ps[i].f, ps[i].n, &d, &r, why, sizeof why) < 0)
            return 0xdeadbeef;
        v = cd_seccomp_combine(v, r);
    }
    return v;
}

static void predicted(uint32_t v, char *out, size_t len)
{
    uint32_t a = v & SECCOMP_RET_ACTION_FULL;
    if (cd_seccomp_allows(v))
        snprintf(out, len, "ok");
    else if (a == SECCOMP_RET_ERRNO)
        snprintf(out, len, "errno %u", (unsigned)(v & SECCOMP_RET_DATA));
    else if (a == SECCOMP_RET_KILL_PROCESS || a == SECCOMP_RET_KILL_THREAD || a == SECCOMP_RET_TRAP)
        snprintf(out, len, "signal %d", SIGSYS);
    else
        snprintf(out, len, "other 0x%x", (unsigned)v);
}

static void against_kernel(const char *name, const prog *ps, size_t np, long nr, uint64_t a0, const char *want)
{
    uint64_t a[6] = {a0, 0, 0, 0, 0, 0};
    char k[64], m[64];
    kernel_outcome(ps, np, nr, a, k, sizeof k);
    predicted(verdict_of(ps, np, nr, a), m, sizeof m);
    CHECK(!strcmp(k, m) && !strcmp(m, want), "%s: kernel '%s', cdbg '%s', expected '%s'", name, k, m, want);
}

static void interpreter_cases(void)
{
    prog p1[] = {PROG(allow_all)};
    against_kernel("allow", p1, 1, SYS_getppid, 0, "ok");
    prog p2[] = {PROG(kill_getppid)};
    against_kernel("kill on getppid", p2, 1, SYS_getppid, 0, "signal 31");
    against_kernel("kill filter, another call", p2, 1, SYS_getpid, 0, "ok");
    prog p3[] = {PROG(errno_getppid)};
    against_kernel("errno", p3, 1, SYS_getppid, 0, "errno 1");
    prog p4[] = {PROG(args_filter)};
    against_kernel("args: arg0 7", p4, 1, SYS_getppid, 7, "errno 13");
    against_kernel("args: arg0 8", p4, 1, SYS_getppid, 8, "ok");
    against_kernel("args: arg0 7 + 2^32", p4, 1, SYS_getppid, (1ull << 32) | 7, "ok");
    prog p5[] = {PROG(alu_filter)};
    /* ((1+3)*2)^1 = 9: bit 4 clear, 1 <= 999: allowed; ((5+3)*2)^1 = 17: bit 4 set; ((1005+3)*2)^1 =
     * 0x7e1: bit 4 clear, but 1005 > 999 */
    against_kernel("alu: arg0 1", p5, 1, SYS_getppid, 1, "ok");
    against_kernel("alu: arg0 5", p5, 1, SYS_getppid, 5, "errno 1");
    against_kernel("alu: arg0 1005 (through X)", p5, 1, SYS_getppid, 1005, "errno 1");
    against_kernel("alu: another call", p5, 1, SYS_getpid, 5, "ok");
    prog p6[] = {PROG(div_filter)};
    against_kernel("division by zero", p6, 1, SYS_getppid, 0, "signal 31");
    against_kernel("division by 5", p6, 1, SYS_getppid, 5, "ok");
    /* stacked: the kill installed first, an allow-all on top: the kill stands */
    prog s1[] = {PROG(kill_getppid), PROG(allow_all)};
    against_kernel("stacked: kill under allow", s1, 2, SYS_getppid, 0, "signal 31");
    prog s2[] = {PROG(allow_all), PROG(kill_getppid)};
    against_kernel("stacked: allow under kill", s2, 2, SYS_getppid, 0, "signal 31");
    /* equally restrictive: the newest filter's data */
    prog s3[] = {PROG(errno_getppid), PROG(enosys_getppid)};
    against_kernel("stacked: two errnos, the newest's", s3, 2, SYS_getppid, 0, "errno 38");
    prog s4[] = {PROG(enosys_getppid), PROG(errno_getppid)};
    against_kernel("stacked: two errnos reversed", s4, 2, SYS_getppid, 0, "errno 1");
    /* TRAP is more restrictive than ERRNO whichever is newer */
    prog s5[] = {PROG(trap_getppid), PROG(errno_getppid)};
    against_kernel("stacked: trap under errno", s5, 2, SYS_getppid, 0, "signal 31");
    prog s6[] = {PROG(errno_getppid), PROG(args_filter)};
    against_kernel("stacked: errno under args, the newest's", s6, 2, SYS_getppid, 7, "errno 13");

    CHECK(cd_seccomp_combine(SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS) == SECCOMP_RET_KILL_PROCESS,
          "combine: kill-process beats allow");
    CHECK(cd_seccomp_combine(SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD) == SECCOMP_RET_KILL_PROCESS,
          "combine: kill-process beats kill-thread (signed order)");
    CHECK(cd_seccomp_combine(SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 38) == (SECCOMP_RET_ERRNO | 1),
          "combine: a tie keeps the first");
    CHECK(cd_seccomp_allows(SECCOMP_RET_LOG) && !cd_seccomp_allows(SECCOMP_RET_TRACE) &&
              !cd_seccomp_allows(SECCOMP_RET_USER_NOTIF) && !cd_seccomp_allows(SECCOMP_RET_ERRNO),
          "allows: ALLOW and LOG only");

    /* no verdict: an instruction seccomp does not accept, a jump out, running off the end, the
     * instruction pointer read */
    struct seccomp_data d = {.nr = 1, .arch = AUDIT_ARCH_X86_64, .instruction_pointer = 0x7fff12345678ull};
    uint32_t r = 0;
    char why[160] = "";
    struct sock_filter half[] = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    CHECK(cd_seccomp_run(half, 2, &d, &r, why, sizeof why) < 0 && strstr(why, "instruction 0"),
          "a 16-bit load is refused (%s)", why);
    struct sock_filter out[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 5), BPF_STMT(BPF_RET | BPF_K, 0)};
    CHECK(cd_seccomp_run(out, 2, &d, &r, why, sizeof why) < 0, "a jump past the end is refused (%s)", why);
    struct sock_filter noret[] = {BPF_STMT(BPF_LD | BPF_IMM, 1)};
    CHECK(cd_seccomp_run(noret, 1, &d, &r, why, sizeof why) < 0, "no return is refused (%s)", why);
    struct sock_filter unaligned[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK(cd_seccomp_run(unaligned, 2, &d, &r, why, sizeof why) < 0, "an unaligned load is refused");
    struct sock_filter ip[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
                               BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK(cd_seccomp_run(ip, 2, &d, &r, why, sizeof why) == 0 && r == 0x7fff, "the ip's high half: 0x%x", r);
    struct sock_filter len[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK(cd_seccomp_run(len, 2, &d, &r, why, sizeof why) == 0 && r == 64, "the data's length: %u", r);
}

/* cd_seccomp_check on a traced child stopped under the reproducer's filter (clone, memfd_create
 * kill) with an EPERM filter on mmap stacked on it. */
static void live_check(void)
{
    static const struct sock_filter kill_f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    static const struct sock_filter eperm_mmap[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    for (int filtered = 0; filtered < 2; filtered++) {
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
                _exit(1);
            if (filtered) {
                struct sock_fprog a = {5, (struct sock_filter *)kill_f}, b = {4, (struct sock_filter *)eperm_mmap};
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &a) ||
                    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &b))
                    _exit(2);
            }
            raise(SIGSTOP);
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        CHECK(WIFSTOPPED(st), "child %d stopped", filtered);
        uint64_t args[6] = {0};
        cd_err e;
        cd_err_clear(&e);
        int rc = cd_seccomp_check(c, c, SYS_clone, 0x7f0000001000ull, args, &e);
        if (!filtered) {
            CHECK(rc == 0, "no filter: clone goes (%s)", e.msg);
        } else {
            CHECK(rc < 0 && e.kind == CD_EK_SECCOMP && strstr(e.msg, "would kill it on clone (SECCOMP_RET_KILL_PROCESS)"),
                  "filter: clone refused: %s", e.msg);
            cd_err_clear(&e);
            rc = cd_seccomp_check(c, c, SYS_memfd_create, 0x7f0000001000ull, args, &e);
            CHECK(rc < 0 && e.kind == CD_EK_SECCOMP && strstr(e.msg, "on memfd_create"), "filter: memfd_create refused: %s",
                  e.msg);
            cd_err_clear(&e);
            rc = cd_seccomp_check(c, c, SYS_munmap, 0x7f0000001000ull, args, &e);
            CHECK(rc < 0 && e.kind == CD_EK_SECCOMP && strstr(e.msg, "would fail with EPERM on munmap"),
                  "filter: munmap refused by the stacked filter: %s", e.msg);
            cd_err_clear(&e);
            rc = cd_seccomp_check(c, c, SYS_mmap, 0x7f0000001000ull, args, &e);
            CHECK(rc == 0, "filter: mmap goes (%s)", e.msg);
        }
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    }
}

int main(void)
{
    interpreter_cases();
    live_check();
    printf("%s\n", fails ? "FAILED" : "all passed");
    return fails ? 1 : 0;
}
