/* One thread's record as the task iterator (bpfsnap.bpf.c) writes it and bpfsnap.c reads it: plain
 * fixed-size integers only, the same layout for clang -target bpf and the host compiler. */
#ifndef CD_BPFSNAP_REC_H
#define CD_BPFSNAP_REC_H

struct cd_bpfsnap_rec {
    __s32 tid, tgid;
    __u32 state, state_after; /* task->__state before and after the registers were read */
    __s32 exit_state;
    __u32 has_regs;
    __u64 nvcsw, nivcsw;
    __u64 nvcsw_after;        /* nvcsw + nivcsw after the registers were read */
    __s64 orig_ax;            /* the syscall number (-1: entered the kernel otherwise) */
    __u64 ip, sp, bp, bx, r12, r13, r14, r15;
    __u64 args[6];            /* rdi rsi rdx r10 r8 r9 */
    char comm[16];
};

#endif
