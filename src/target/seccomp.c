/* The seccomp check before an injected system call (seccomp.h). */
#include "target/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL 0xffff0000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef EMEDIUMTYPE
#define EMEDIUMTYPE 124
#endif

/* ---- the interpreter ---- */

/* Only what the kernel's seccomp_check_filter lets into a seccomp program: 32-bit loads from
 * seccomp_data (absolute, 4-aligned), its length, immediates and the 16 scratch words, the ALU,
 * the forward jumps, TAX/TXA and the returns. Anything else was refused when the filter was
 * installed, so meeting it here means cdbg misread the program: no verdict. */
int cd_seccomp_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d, uint32_t *ret,
                   char *why, size_t whylen)
{
    uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
    unsigned char data[sizeof *d];
    memcpy(data, d, sizeof data);
    if (n == 0 || n > BPF_MAXINSNS) {
        snprintf(why, whylen, "a filter of %zu instructions", n);
        return -1;
    }
    /* every jump goes forward, so the walk ends within n steps */
    for (size_t pc = 0; pc < n; pc++) {
        const struct sock_filter *f = &prog[pc];
        uint32_t k = f->k;
        uint32_t src = BPF_SRC(f->code) == BPF_X ? X : k;
        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;
            if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
                if (k >= sizeof data || (k & 3))
                    goto bad;
                memcpy(&v, data + k, 4); /* native order, as the kernel loads seccomp_data */
            } else if (f->code == (BPF_LD | BPF_W | BPF_LEN) || f->code == (BPF_LDX | BPF_W | BPF_LEN)) {
                v = (uint32_t)sizeof data;
            } else if (f->code == (BPF_LD | BPF_IMM) || f->code == (BPF_LDX | BPF_IMM)) {
                v = k;
            } else if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) {
                if (k >= BPF_MEMWORDS)
                    goto bad;
                v = M[k];
            } else {
                goto bad;
            }
            if (BPF_CLASS(f->code) == BPF_LD)
                A = v;
            else
                X = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (f->code != BPF_ST && f->code != BPF_STX)
                goto bad;
            if (k >= BPF_MEMWORDS)
                goto bad;
            M[k] = BPF_CLASS(f->code) == BPF_ST ? A : X;
            break;
        case BPF_ALU:
            switch (BPF_OP(f->code)) {
            case BPF_ADD: A += src; break;
            case BPF_SUB: A -= src; break;
            case BPF_MUL: A *= src; break;
            case BPF_DIV:
            case BPF_MOD:
                /* the kernel's converted program returns 0 (SECCOMP_RET_KILL_THREAD) on a
                 * division by a zero X; a zero K was refused at install */
                if (src == 0) {
                    *ret = 0;
                    return 0;
                }
                A = BPF_OP(f->code) == BPF_DIV ? A / src : A % src;
                break;
            case BPF_OR: A |= src; break;
            case BPF_AND: A &= src; break;
            case BPF_XOR: A ^= src; break;
            case BPF_LSH: A = A << (src & 31); break;
            case BPF_RSH: A = A >> (src & 31); break;
            case BPF_NEG:
                if (BPF_SRC(f->code) != BPF_K)
                    goto bad;
                A = (uint32_t)-A;
                break;
            default:
                goto bad;
            }
            break;
        case BPF_JMP: {
            size_t off;
            if (BPF_OP(f->code) == BPF_JA) {
                if (BPF_SRC(f->code) != BPF_K)
                    goto bad;
                off = k;
            } else {
                bool c;
                switch (BPF_OP(f->code)) {
                case BPF_JEQ: c = A == src; break;
                case BPF_JGT: c = A > src; break;
                case BPF_JGE: c = A >= src; break;
                case BPF_JSET: c = (A & src) != 0; break;
                default: goto bad;
                }
                off = c ? f->jt : f->jf;
            }
            if (off >= n - pc - 1) {
                snprintf(why, whylen, "instruction %zu jumps past the filter's end", pc);
                return -1;
            }
            pc += off;
            break;
        }
        case BPF_RET:
            if (f->code == (BPF_RET | BPF_K))
                *ret = k;
            else if (f->code == (BPF_RET | BPF_A))
                *ret = A;
            else
                goto bad;
            return 0;
        case BPF_MISC:
            if (f->code == (BPF_MISC | BPF_TAX))
                X = A;
            else if (f->code == (BPF_MISC | BPF_TXA))
                A = X;
            else
                goto bad;
            break;
        default:
            goto bad;
        }
        continue;
    bad:
        snprintf(why, whylen, "instruction %zu (code 0x%x, k 0x%x) is not one cdbg's filter interpreter knows", pc,
                 (unsigned)f->code, (unsigned)f->k);
        return -1;
    }
    snprintf(why, whylen, "the filter runs past its last instruction");
    return -1;
}

uint32_t cd_seccomp_combine(uint32_t acc, uint32_t next)
{
    return (int32_t)(next & SECCOMP_RET_ACTION_FULL) < (int32_t)(acc & SECCOMP_RET_ACTION_FULL) ? next : acc;
}

bool cd_seccomp_allows(uint32_t ret)
{
    uint32_t a = ret & SECCOMP_RET_ACTION_FULL;
    return a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG;
}

const char *cd_seccomp_action_text(uint32_t ret, char *buf, size_t len)
{
    uint32_t a = ret & SECCOMP_RET_ACTION_FULL, data = ret & SECCOMP_RET_DATA;
    switch (a) {
    case SECCOMP_RET_KILL_PROCESS: snprintf(buf, len, "kill it"); break;
    case SECCOMP_RET_KILL_THREAD: snprintf(buf, len, "kill the thread"); break;
    case SECCOMP_RET_TRAP: snprintf(buf, len, "send it SIGSYS"); break;
    case SECCOMP_RET_ERRNO: {
        const char *name = data == EPERM ? "EPERM" : data == ENOSYS ? "ENOSYS" : data == EACCES ? "EACCES" : NULL;
        if (name)
            snprintf(buf, len, "fail with %s", name);
        else
            snprintf(buf, len, "fail with errno %u", (unsigned)data);
        break;
    }
    case SECCOMP_RET_USER_NOTIF: snprintf(buf, len, "stop it for its supervisor"); break;
    case SECCOMP_RET_TRACE: snprintf(buf, len, "stop it for a seccomp tracer"); break;
    case SECCOMP_RET_LOG: snprintf(buf, len, "log"); break;
    case SECCOMP_RET_ALLOW: snprintf(buf, len, "allow"); break;
    default: snprintf(buf, len, "kill it"); break; /* the kernel takes an unknown action as a kill */
    }
    return buf;
}

const char *cd_seccomp_action_name(uint32_t ret)
{
    switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "SECCOMP_RET_KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return "SECCOMP_RET_KILL_THREAD";
    case SECCOMP_RET_TRAP: return "SECCOMP_RET_TRAP";
    case SECCOMP_RET_ERRNO: return "SECCOMP_RET_ERRNO";
    case SECCOMP_RET_USER_NOTIF: return "SECCOMP_RET_USER_NOTIF";
    case SECCOMP_RET_TRACE: return "SECCOMP_RET_TRACE";
    case SECCOMP_RET_LOG: return "SECCOMP_RET_LOG";
    case SECCOMP_RET_ALLOW: return "SECCOMP_RET_ALLOW";
    default: return "an unknown action";
    }
}

const char *cd_seccomp_syscall_name(long nr, char *buf, size_t len)
{
    static const struct {
        long nr;
        const char *name;
    } names[] = {
        {SYS_clone, "clone"},         {SYS_wait4, "wait4"},     {SYS_prctl, "prctl"},
        {SYS_mmap, "mmap"},           {SYS_munmap, "munmap"},   {SYS_mprotect, "mprotect"},
        {SYS_memfd_create, "memfd_create"}, {SYS_ftruncate, "ftruncate"}, {SYS_madvise, "madvise"},
        {SYS_close, "close"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].nr == nr) {
            snprintf(buf, len, "%s", names[i].name);
            return buf;
        }
    snprintf(buf, len, "system call %ld", nr);
    return buf;
}

/* ---- the thread's state ---- */

/* The Seccomp: field of thread tid's status: 0, 1 (strict), 2 (filter); -1 unknown. /proc/TID,
 * not /proc/PID/task/TID: the thread may be a process of its own that the target made (gcore's
 * middle process forks the snapshot). */
static int seccomp_mode(pid_t tid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *s = strstr(buf, "\nSeccomp:");
    if (!s)
        return 0; /* a kernel built without seccomp: nothing filters */
    return atoi(s + 9);
}

int cd_seccomp_check(pid_t pid, pid_t tid, long nr, uint64_t insn, const uint64_t args[6], cd_err *err)
{
    char name[40], act[96];
    cd_seccomp_syscall_name(nr, name, sizeof name);
    int mode = seccomp_mode(tid);
    if (mode == 0)
        return 0;
    if (mode < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                        "the seccomp state of thread %d of process %d cannot be read: nothing was run in it (%s)",
                        (int)tid, (int)pid, name);
    if (mode == SECCOMP_MODE_STRICT)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                        "thread %d of process %d is in strict seccomp mode, which would kill it on %s: nothing was "
                        "run in it",
                        (int)tid, (int)pid, name);
    /* What the kernel presents at the system call: instruction_pointer is the thread's rip at
     * entry, the address after the 2-byte `syscall`. */
    struct seccomp_data d = {.nr = (int)nr, .arch = AUDIT_ARCH_X86_64, .instruction_pointer = insn + 2};
    for (int i = 0; i < 6; i++)
        d.args[i] = args[i];
    /* Index 0 is the oldest filter; the kernel runs the newest first and keeps the first of equally
     * restrictive verdicts, so the fold goes from the last index down. */
    struct sock_filter **progs = NULL;
    long *lens = NULL;
    size_t nf = 0;
    int rc = -1;
    for (unsigned long idx = 0; idx < 4096; idx++) {
        errno = 0;
        long cnt = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, NULL);
        if (cnt < 0 && errno == ENOENT && idx > 0)
            break;
        if (cnt <= 0 || cnt > BPF_MAXINSNS) {
            int e = errno;
            cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                     "the seccomp filter of process %d cannot be read (%s)%s: what it does on %s is unknown, so "
                     "nothing was run in it",
                     (int)pid, cnt > BPF_MAXINSNS ? "too long" : e ? strerror(e) : "empty",
                     e == EACCES      ? ": reading it needs CAP_SYS_ADMIN, and cdbg itself not under seccomp"
                     : e == EMEDIUMTYPE ? ": not a classic-BPF filter"
                     : e == EIO || e == EINVAL ? ": a kernel without PTRACE_SECCOMP_GET_FILTER (CONFIG_CHECKPOINT_RESTORE)"
                                                : "",
                     name);
            goto out;
        }
        progs = cd_xrealloc(progs, (nf + 1) * sizeof *progs);
        lens = cd_xrealloc(lens, (nf + 1) * sizeof *lens);
        progs[nf] = cd_xcalloc((size_t)cnt, sizeof **progs);
        lens[nf] = cnt;
        nf++;
        long got = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, progs[nf - 1]);
        if (got != cnt) {
            cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                     "the seccomp filter %lu of process %d cannot be read (%s): what it does on %s is unknown, so "
                     "nothing was run in it",
                     idx, (int)pid, got < 0 ? strerror(errno) : "it changed while read", name);
            goto out;
        }
    }
    uint32_t verdict = SECCOMP_RET_ALLOW;
    for (size_t i = nf; i-- > 0;) {
        uint32_t r;
        char why[160];
        if (cd_seccomp_run(progs[i], (size_t)lens[i], &d, &r, why, sizeof why) < 0) {
            cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                     "what the seccomp filter of process %d does on %s is unknown (%s): nothing was run in it",
                     (int)pid, name, why);
            goto out;
        }
        verdict = cd_seccomp_combine(verdict, r);
    }
    if (!cd_seccomp_allows(verdict)) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                 "the seccomp filter of process %d would %s on %s (%s): nothing was run in it", (int)pid,
                 cd_seccomp_action_text(verdict, act, sizeof act), name, cd_seccomp_action_name(verdict));
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < nf; i++)
        free(progs[i]);
    free(progs);
    free(lens);
    return rc;
}
