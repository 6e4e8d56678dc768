/* The BPF task iterator's loader and reader (bpfsnap.h). */
#include "target/bpfsnap.h"

#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* bpftool's light skeleton of bpfsnap.bpf.c (generated at build time): the program and a loader
 * program that the kernel runs to load it, relocating its field accesses against the kernel's own
 * BTF. Loading it is four bpf() calls, where libbpf would first read and parse the kernel's 5 MB of
 * BTF in user space (~15 ms of CPU here, more than the /proc files it saves on 1000 threads). */
/* generated into the build directory by src/target/meson.build, hence found on the include path */
#include <target/bpfsnap.lskel.h>
#include "target/bpfsnap_rec.h"

struct cd_bpfsnap {
    pid_t pid;
    struct cdbg_bpfsnap *skel;
    int link; /* the iterator link, filtered to pid's threads; -1 none */
    struct cd_bpfsnap_rec *buf;
    size_t cap; /* records */
};

bool cd_bpfsnap_wanted(void)
{
    const char *e = getenv("CDBG_NO_BPF");
    return !e || !*e || !strcmp(e, "0");
}

cd_bpfsnap *cd_bpfsnap_open(pid_t pid, char *why, size_t whylen)
{
    /* the loader relocates against the running kernel's BTF: say so rather than fail obscurely */
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        snprintf(why, whylen, "the kernel has no BTF (/sys/kernel/btf/vmlinux: %s)", strerror(errno));
        return NULL;
    }
    cd_bpfsnap *b = cd_xcalloc(1, sizeof *b);
    b->pid = pid;
    b->link = -1;
    /* CDBG_BPF_DEBUG=1: the verifier's log of a refused load on stderr */
    bool dbg = getenv("CDBG_BPF_DEBUG") != NULL;
    char *log = dbg ? cd_xcalloc(1, 1 << 16) : NULL;
    if (!(b->skel = cdbg_bpfsnap__open())) {
        snprintf(why, whylen, "cannot allocate the BPF skeleton");
        goto fail;
    }
    if (dbg) {
        b->skel->ctx.log_level = 1;
        b->skel->ctx.log_size = 1 << 16;
        b->skel->ctx.log_buf = (long)log;
    }
    if (cdbg_bpfsnap__load(b->skel) != 0) {
        int e = errno;
        if (dbg)
            fprintf(stderr, "cdbg: BPF load log:\n%s\n", log);
        snprintf(why, whylen, "the kernel refused cdbg's BPF task iterator: %s%s", strerror(e),
                 e == EPERM || e == EACCES ? " (needs root, or CAP_BPF and CAP_PERFMON)"
                                           : " (needs kernel 6.1 or later with BTF; CDBG_BPF_DEBUG=1 shows the log)");
        goto fail;
    }
    free(log);
    log = NULL;
    union bpf_iter_link_info li;
    memset(&li, 0, sizeof li);
    li.task.pid = (__u32)pid; /* only this process's threads are walked (kernel 6.1) */
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.link_create.prog_fd = (__u32)b->skel->progs.cdbg_threads.prog_fd;
    attr.link_create.attach_type = BPF_TRACE_ITER;
    attr.link_create.iter_info = (__u64)(uintptr_t)&li;
    attr.link_create.iter_info_len = sizeof li;
    if ((b->link = skel_sys_bpf(BPF_LINK_CREATE, &attr, sizeof attr)) < 0) {
        snprintf(why, whylen, "cannot attach cdbg's BPF task iterator to process %d: %s (needs kernel 6.1 or later)",
                 (int)pid, strerror(errno));
        goto fail;
    }
    return b;
fail:
    free(log);
    cd_bpfsnap_close(b);
    return NULL;
}

void cd_bpfsnap_close(cd_bpfsnap *b)
{
    if (!b)
        return;
    if (b->link >= 0)
        close(b->link);
    cdbg_bpfsnap__destroy(b->skel);
    free(b->buf);
    free(b);
}

char cd_bpfsnap_state_letter(uint32_t state, int32_t exit_state)
{
    /* include/linux/sched.h: TASK_REPORT's bits, then fs/proc/array.c's task_state_array */
    enum { UNINTERRUPTIBLE = 0x2, REPORT = 0x7f, NOLOAD = 0x400, RTLOCK_WAIT = 0x1000 };
    if ((state & (UNINTERRUPTIBLE | NOLOAD)) == (UNINTERRUPTIBLE | NOLOAD))
        return 'I'; /* TASK_IDLE */
    uint32_t s = (state | (uint32_t)exit_state) & REPORT;
    if (!s && (state & RTLOCK_WAIT))
        return 'D'; /* a sleeping lock of PREEMPT_RT: reported as uninterruptible */
    static const char letters[] = "RSDTtXZP";
    int i = 0;
    while (s) {
        i++;
        s >>= 1;
    }
    return letters[i];
}

static void from_rec(const struct cd_bpfsnap_rec *r, cd_bpfsnap_thread *t)
{
    memset(t, 0, sizeof *t);
    t->tid = r->tid;
    t->state = cd_bpfsnap_state_letter(r->state, r->exit_state);
    memcpy(t->name, r->comm, 16);
    t->name[16] = 0;
    t->switches = r->nvcsw + r->nivcsw;
    t->sc.nr = -1;
    /* The saved registers are the thread's only while it is in the kernel (not TASK_RUNNING), and
     * only if it stayed there while they were read: the state and switch count are read again after
     * them. A thread that runs shows "running", as /proc does. */
    bool in_kernel = r->has_regs && r->state != 0 && r->state_after == r->state && r->nvcsw_after == t->switches &&
                     !r->exit_state;
    if (!in_kernel) {
        t->sc.kind = CD_SC_RUNNING;
        return;
    }
    t->sc.sp = r->sp;
    t->sc.pc = r->ip;
    t->rbx = r->bx;
    t->rbp = r->bp;
    t->r12 = r->r12;
    t->r13 = r->r13;
    t->r14 = r->r14;
    t->r15 = r->r15;
    if (r->orig_ax == -1) {
        t->sc.kind = CD_SC_RUNNING; /* in the kernel outside a system call: "-1 SP PC" */
        return;
    }
    t->sc.kind = CD_SC_BLOCKED;
    t->sc.nr = (long)r->orig_ax;
    memcpy(t->sc.args, r->args, sizeof t->sc.args);
}

int cd_bpfsnap_read(cd_bpfsnap *b, cd_bpfsnap_thread **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.iter_create.link_fd = (__u32)b->link;
    int fd = skel_sys_bpf(BPF_ITER_CREATE, &attr, sizeof attr);
    if (fd < 0)
        return -1;
    if (!b->cap) {
        b->cap = 64;
        b->buf = cd_xmalloc(b->cap * sizeof *b->buf);
    }
    size_t have = 0; /* bytes */
    for (;;) {
        if (have == b->cap * sizeof *b->buf) {
            b->cap *= 2;
            b->buf = cd_xrealloc(b->buf, b->cap * sizeof *b->buf);
        }
        ssize_t k = read(fd, (char *)b->buf + have, b->cap * sizeof *b->buf - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (k == 0)
            break;
        have += (size_t)k;
    }
    close(fd);
    size_t m = have / sizeof *b->buf;
    if (m == 0) {
        errno = ESRCH; /* the process has no thread left: gone */
        return -1;
    }
    cd_bpfsnap_thread *t = cd_xcalloc(m, sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (b->buf[i].tgid == b->pid) /* the filter's, checked: never another process's thread */
            from_rec(&b->buf[i], &t[k++]);
    *out = t;
    *n = k;
    return 0;
}
