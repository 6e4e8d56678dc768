/* The thread dump's task iterator (src/target/bpfsnap.c): one record per thread of one process, the
 * user registers the kernel saved when the thread entered it included, so that a thread asleep in a
 * system call is read without a /proc file of its own. Compiled by clang -target bpf at build time
 * and embedded in cdbg; loaded only by `cdbg stacks` (and only where the kernel and cdbg's privileges
 * allow: anything else reads /proc as before).
 *
 * No vmlinux.h: the few kernel structures read are declared here with preserve_access_index, so
 * libbpf relocates each field to the running kernel's layout from its BTF (CO-RE). */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <bpf/bpf_helpers.h>

#include "bpfsnap_rec.h"

struct pt_regs {
    unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
} __attribute__((preserve_access_index));

struct task_struct {
    int pid;
    int tgid;
    unsigned int __state;
    int exit_state;
    unsigned int flags;
    unsigned long nvcsw, nivcsw;
    char comm[16];
} __attribute__((preserve_access_index));

struct bpf_iter_meta {
    void *seq;
    __u64 session_id;
    __u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
    struct bpf_iter_meta *meta;
    struct task_struct *task;
} __attribute__((preserve_access_index));

/* PF_KTHREAD: a kernel thread has no user registers (never in a process's thread group, but cheap) */
#define PF_KTHREAD 0x00200000

SEC("iter/task")
int cdbg_threads(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    struct cd_bpfsnap_rec r = {};
    r.tid = task->pid;
    r.tgid = task->tgid;
    /* the state first: a thread that is not TASK_RUNNING is inside the kernel, where its user
     * registers stay as it entered; read again after them, so that one woken meanwhile shows */
    r.state = task->__state;
    r.exit_state = task->exit_state;
    r.nvcsw = task->nvcsw;
    r.nivcsw = task->nivcsw;
    __builtin_memcpy(r.comm, task->comm, sizeof r.comm);
    if (!(task->flags & PF_KTHREAD)) {
        struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
        if (regs) {
            r.ip = regs->ip;
            r.sp = regs->sp;
            r.bp = regs->bp;
            r.bx = regs->bx;
            r.r12 = regs->r12;
            r.r13 = regs->r13;
            r.r14 = regs->r14;
            r.r15 = regs->r15;
            r.orig_ax = regs->orig_ax;
            r.args[0] = regs->di;
            r.args[1] = regs->si;
            r.args[2] = regs->dx;
            r.args[3] = regs->r10;
            r.args[4] = regs->r8;
            r.args[5] = regs->r9;
            r.has_regs = 1;
        }
    }
    r.state_after = task->__state;
    r.nvcsw_after = task->nvcsw + task->nivcsw;
    bpf_seq_write(ctx->meta->seq, &r, sizeof r);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
