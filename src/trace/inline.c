/* The inline tracepoint backend (contract in backend.h): uftrace's dynamic patching, on a process
 * that may already be running.
 *
 * Layout in the target, injected through ptrace while every thread is held:
 *   - a ring: a memfd mapped MAP_SHARED in the target and in cdbg (through /proc/PID/fd/N). Its
 *     first bytes are a header (ring geometry, the writers' head, cdbg's tail, the drop counters,
 *     the probe table), then fixed-size records.
 *   - trampoline regions of REGION bytes, each within +-2 GB of the code it serves: at offset 0 a
 *     copy of the record routine below (position-independent, with its own pointer to the ring),
 *     then one stub per probe: `lea -128(%rsp),%rsp` (the red zone), `push $slot`, `call record`,
 *     `lea 136(%rsp),%rsp`, the relocated instructions, `jmp` back.
 *   - at the probe address, after any endbr64: a 5-byte `jmp` to the stub.
 *
 * Records are claimed with one `lock cmpxchg` on the head when there is room (head - tail < cap),
 * else one `lock inc` of the drop counters: a full ring never blocks, and a claimed slot is never
 * abandoned, so the reader can take the slots strictly in claim order (per thread, that is the
 * order the hits happened). A record is published by writing its sequence number (pos + 1) last.
 * The timestamp is the raw TSC (rdtsc, ~20 cycles against ~50 for the vdso's clock_gettime); cdbg
 * converts it to CLOCK_MONOTONIC with a calibration it refreshes at every poll. The thread ID comes
 * from glibc's struct pthread (%fs:OFFSET, the offset found at arm by matching the held threads'
 * TIDs); where that cannot be found (no TLS yet, another libc) the routine asks the kernel (gettid).
 *
 * If cdbg dies, nothing in the target depends on it: the stubs keep recording until the ring is
 * full, then count drops. Unpatching puts the original bytes back; the regions and the ring stay
 * mapped (a thread may still be inside a stub), which is harmless. */
#include "trace/backend.h"

#include "arch/arch.h"
#include "target/codepatch.h"
#include "target/patchmap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

/* ---- the shared ring (offsets are used by the assembly below: keep them in step) ---- */
#define RING_MAGIC 0x676e697269646463ull /* "cdiring" */
#define H_CAP 8
#define H_MASK 16
#define H_RECSZ 24
#define H_DATA 32
#define H_TIDOFF 40
#define H_DROPS 48
#define H_LOST 56    /* returns never recorded: calls a longjmp left (their shadow entries discarded) */
#define H_SHFULL 64  /* calls not hijacked for --ret: their thread's shadow stack was full */
#define H_PIDPG 72   /* -e reads: a MADV_WIPEONFORK page whose u32 is the process's pid (0: ask getpid) */
#define H_STACKOFF 80 /* where a record's stack copy starts: R_STACK, or R_XMM in a lean ring */
#define H_HEAD 128
#define H_TAIL 192
#define H_PROBES 256 /* probe table: PROBE_SZ bytes per slot */
#define PROBE_SZ 64  /* u64 addr; u32 id; u32 stack_n; u64 drops; u8 flags (1: --ret); pad; u32 ret_off;
                        u64 returns lost (--ret: longjmp, a full shadow stack) */
#define P_LOSTRET 32
#define P_FLAGS 24   /* u8 flags (1: --ret); the u32 there >> 8: the probe's return read program (0: none) */
#define P_READS 60   /* u32: the probe's read program's offset in the ring (0: none); see .Lreads */
#define MAX_PROBES 2048

/* record layout */
#define R_SEQ 0
#define R_SLOT 8
#define R_TID 12
#define R_TSC 16
#define R_REGS 24 /* r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi rip eflags rsp */
#define R_STACKN 168
#define R_XMM 176
#define R_STACK 304
/* a lean ring (every probe's consumer reads neither the floating-point registers nor the flags,
 * cd_probe.lean): no xmm registers, the stack copy at R_XMM, a lockorder record of 4 cache lines
 * instead of 6; at a function's entry the flags are not saved either (cdti_entry_nf) */
#define FLAGS_NOT_SAVED 8 /* in the flags slot: never an eflags value (bit 1 is always set) */

/* --ret's shadow stacks: a private anonymous mapping of SH_N stacks of SH_SZ bytes; a header (u64
 * owner TID, 0 = never used, -1 = free; u64 count) then SH_DEPTH entries of 32 bytes (u64 sp = where
 * the return address was, u64 the real return address, u32 probe slot, u32 pad, u64 the trampoline
 * address written there). The assembly uses these. */
#define SH_N 1024
#define SH_NMASK 1023
#define SH_SHIFT 13
#define SH_SZ 8192
#define SH_DEPTH 255
#define CDTI_STR2(x) #x
#define CDTI_STR(x) CDTI_STR2(x)

#define REGION (64 * 1024)
#define COMMON_SPACE 4096 /* bytes reserved for the record routine at the start of a region */
#define STUB_MAX 128
#define DEFAULT_RING (256u << 20)
/* A compact ring's default: records, not bytes (2^24 of 32 bytes: 512 MB of address space). A run
 * like the benchmark's (10 M hits in half a second, drained to a text file by a reader that gets
 * a fraction of a CPU on a loaded machine) must lose nothing. Only PREFAULT bytes are populated
 * at arm; the rest is allocated as the writers first reach it (one page fault per 128 records). */
#define DEFAULT_COMPACT_RECORDS (1ull << 24)
#define PREFAULT (64ull << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* The record routine, copied into each region. Entry (from a stub): [rsp] = return into the stub,
 * [rsp+8] = probe slot, then the 128-byte red zone; the probed code's rsp is rsp + 144. It keeps
 * every register and the flags, and leaves rsp as it found it. */
__asm__(".pushsection .rodata.cdti, \"a\"\n"
        ".globl cdti_blob, cdti_blob_end, cdti_entry, cdti_ret, cdti_unhijack, cdti_compact, cdti_readcall\n"
        ".hidden cdti_blob, cdti_blob_end, cdti_entry, cdti_ret, cdti_unhijack, cdti_compact, cdti_readcall\n"
        ".globl cdti_entry_nf, cdti_compact_nf\n"
        ".hidden cdti_entry_nf, cdti_compact_nf\n"
        ".balign 16\n"
        "cdti_blob:\n"
        ".Lring: .quad 0\n"
        ".Lshadow: .quad 0\n"
        ".balign 16\n"
        /* cdti_entry_nf: cdti_entry for a lean probe at a function's entry, where the flags are dead
         * (the ABI keeps none across a call, and DF is clear): their slot is marked instead of
         * pushfq, and the exit skips popfq (the costlier of the two) */
        "cdti_entry_nf:\n"
        " lea -8(%rsp), %rsp\n"
        " movq $" CDTI_STR(FLAGS_NOT_SAVED) ", (%rsp)\n"
        " jmp .Lentry_regs\n"
        "cdti_entry:\n"
        " pushfq\n"
        ".Lentry_regs:\n"
        " push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
        " push %r8\n push %r9\n push %r10\n push %r11\n"
        /* [rsp]=r11 8=r10 16=r9 24=r8 32=rdi 40=rsi 48=rdx 56=rcx 64=rax 72=flags 80=ret 88=slot;
         * the probed code's rsp = rsp + 224 */
        " cld\n"
        " mov .Lring(%rip), %rdi\n"
        "1: mov 128(%rdi), %rax\n"          /* head */
        " mov %rax, %rdx\n"
        " sub 192(%rdi), %rdx\n"            /* - tail */
        /* >= cap: full. Signed: the head read may be stale by the time the tail is read (other
         * writers claimed, the reader consumed past it): negative, not full; the cmpxchg below
         * then fails and the loop reads both again. */
        " cmp 8(%rdi), %rdx\n"
        " jge 8f\n"
        " lea 1(%rax), %rdx\n"
        " lock cmpxchg %rdx, 128(%rdi)\n"
        " jne 1b\n"
        " mov %rax, %r8\n"                  /* r8 = pos */
        " and 16(%rdi), %rax\n"
        " imul 24(%rdi), %rax\n"
        " add 32(%rdi), %rax\n"
        " lea (%rdi,%rax), %rsi\n"          /* rsi = the record */
        " mov 88(%rsp), %rcx\n"
        " mov %ecx, 8(%rsi)\n"
        " mov 40(%rdi), %rax\n"             /* tid offset in struct pthread, or -1 */
        " test %rax, %rax\n"
        " js 2f\n"
        " mov %fs:(%rax), %eax\n"
        " jmp 3f\n"
        "2: mov $186, %eax\n"               /* gettid: clobbers rcx and r11, both saved */
        " syscall\n"
        "3: mov %eax, 12(%rsi)\n"
        " mov %eax, %r10d\n"                         /* kept for --ret (saved r10 is on the stack) */
        " rdtsc\n"
        " shl $32, %rdx\n"
        " or %rdx, %rax\n"
        " mov %rax, 16(%rsi)\n"
        " mov %r15, 24(%rsi)\n mov %r14, 32(%rsi)\n mov %r13, 40(%rsi)\n mov %r12, 48(%rsi)\n"
        " mov %rbp, 56(%rsi)\n mov %rbx, 64(%rsi)\n"
        " mov 0(%rsp), %rax\n mov %rax, 72(%rsi)\n"   /* r11 */
        " mov 8(%rsp), %rax\n mov %rax, 80(%rsi)\n"   /* r10 */
        " mov 16(%rsp), %rax\n mov %rax, 88(%rsi)\n"  /* r9 */
        " mov 24(%rsp), %rax\n mov %rax, 96(%rsi)\n"  /* r8 */
        " mov 64(%rsp), %rax\n mov %rax, 104(%rsi)\n" /* rax */
        " mov 56(%rsp), %rax\n mov %rax, 112(%rsi)\n" /* rcx */
        " mov 48(%rsp), %rax\n mov %rax, 120(%rsi)\n" /* rdx */
        " mov 40(%rsp), %rax\n mov %rax, 128(%rsi)\n" /* rsi */
        " mov 32(%rsp), %rax\n mov %rax, 136(%rsi)\n" /* rdi */
        " mov 88(%rsp), %rcx\n"
        " shl $6, %rcx\n"
        " lea 256(%rdi,%rcx), %rcx\n"                 /* the probe's table entry */
        " mov (%rcx), %rax\n mov %rax, 144(%rsi)\n"   /* rip = the probe address */
        " mov 72(%rsp), %rax\n mov %rax, 152(%rsi)\n" /* eflags */
        " lea 224(%rsp), %rax\n mov %rax, 160(%rsi)\n"/* rsp */
        " mov 12(%rcx), %ecx\n"                       /* stack bytes */
        " mov %ecx, 168(%rsi)\n"
        " mov " CDTI_STR(H_STACKOFF) "(%rdi), %rax\n"  /* the stack copy's offset: 176 in a lean ring */
        " cmp $176, %eax\n"
        " je 13f\n"
        " movdqu %xmm0, 176(%rsi)\n movdqu %xmm1, 192(%rsi)\n movdqu %xmm2, 208(%rsi)\n"
        " movdqu %xmm3, 224(%rsi)\n movdqu %xmm4, 240(%rsi)\n movdqu %xmm5, 256(%rsi)\n"
        " movdqu %xmm6, 272(%rsi)\n movdqu %xmm7, 288(%rsi)\n"
        "13: mov %rsi, %r9\n"
        " lea (%rsi,%rax), %rdi\n"
        " lea 224(%rsp), %rsi\n"
        /* by words: `rep movsb` costs more to start than a short stack copy takes (a lock-heavy
         * loop's record, lockorder's 8 and 80 bytes, spent a tenth of its time there) */
        " cmp $8, %ecx\n"
        " jb 11f\n"
        "10: mov (%rsi), %rax\n"
        " mov %rax, (%rdi)\n"
        " add $8, %rsi\n"
        " add $8, %rdi\n"
        " sub $8, %ecx\n"
        " cmp $8, %ecx\n"
        " jae 10b\n"
        "11: test %ecx, %ecx\n"
        " jz 12f\n"
        " rep movsb\n"
        "12:\n"
        "cdti_readcall: call .Lreads\n"              /* -e's memory, copied at the hit (a nop in a */
                                                      /* ring without reads: see inl_arm) */
        " lea 1(%r8), %rax\n"
        " mov %rax, (%r9)\n"                          /* publish: seq = pos + 1, written last */
        /* --ret: the return address goes on this thread's shadow stack, .Lret takes its place.
         * Only when the entry was recorded: a return without its entry would pair with nothing. */
        " mov .Lring(%rip), %rdi\n"
        " mov 88(%rsp), %rcx\n"
        " shl $6, %rcx\n"
        " testb $1, 280(%rdi,%rcx)\n"                 /* the probe's flags: 1 = --ret */
        " jz 9f\n"
        " mov %r10d, %eax\n"                          /* the TID (not from the published record: */
                                                      /* the reader may have recycled it) */
        " mov $1, %edx\n"
        " call .Lfind\n"                              /* r10 = this thread's stack, claimed if need be */
        " test %r10, %r10\n"
        " jz 7f\n"
        " mov 284(%rdi,%rcx), %r11d\n"                /* + the prologue's bytes before the probe */
        " lea 224(%rsp,%r11), %r11\n"                 /* S: where the return address is */
        /* entries on top for frames deeper than this call's are calls a longjmp left: dead,
         * counted as lost returns. One more than 1 MB away is on another stack (sigaltstack): kept. */
        "4: mov 8(%r10), %rcx\n"
        " test %rcx, %rcx\n"
        " jz 5f\n"
        " mov %rcx, %rdx\n"
        " shl $5, %rdx\n"
        " add %r10, %rdx\n"                           /* entry[count - 1] */
        " mov (%rdx), %rax\n"
        " cmp %r11, %rax\n"
        " ja 5f\n"
        " jb 6f\n"
        /* made at this same S: dead unless the slot holds the trampoline address that entry put
         * there (this call is a tail call from a traced call, whose entry it is) */
        " mov 24(%rdx), %rsi\n"
        " cmp (%r11), %rsi\n"
        " je 5f\n"
        " jmp 61f\n"
        "6: mov %r11, %rsi\n"
        " sub %rax, %rsi\n"
        " cmp $0x100000, %rsi\n"
        " ja 5f\n"
        "61: mov 16(%rdx), %esi\n"
        " call .Llostret\n"
        " dec %rcx\n"
        " mov %rcx, 8(%r10)\n"
        " jmp 4b\n"
        "5: cmp $" CDTI_STR(SH_DEPTH) ", %rcx\n"
        " jae 7f\n"
        " mov %rcx, %rdx\n"
        " shl $5, %rdx\n"
        " lea 32(%r10,%rdx), %rdx\n"                  /* entry[count] */
        " mov (%r11), %rax\n"                         /* the real return address */
        " mov 88(%rsp), %esi\n"
        " lea .Lret(%rip), %r8\n"
        " mov %r11, (%rdx)\n mov %rax, 8(%rdx)\n mov %esi, 16(%rdx)\n mov %r8, 24(%rdx)\n"
        " inc %rcx\n"
        " mov %rcx, 8(%r10)\n"
        /* once more: a signal handler that traced a call between the first writes and the count
         * used this same entry */
        " mov %r11, (%rdx)\n mov %rax, 8(%rdx)\n mov %esi, 16(%rdx)\n mov %r8, 24(%rdx)\n"
        " mov %r8, (%r11)\n"
        " jmp 9f\n"
        "7: lock incq 64(%rdi)\n"                     /* no room on the shadow stack: not hijacked, */
        " mov 88(%rsp), %esi\n"                       /* its return is counted lost */
        " call .Llostret\n"
        " jmp 9f\n"
        "8: lock incq 48(%rdi)\n"                     /* full: count the drop, globally and per probe */
        " mov 88(%rsp), %rcx\n"
        " shl $6, %rcx\n"
        " lock incq 272(%rdi,%rcx)\n"
        "9: pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
        " pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
        " cmpq $" CDTI_STR(FLAGS_NOT_SAVED) ", (%rsp)\n" /* flags saved: popfq undoes the cmp */
        " je 14f\n"
        " popfq\n"
        " ret\n"
        "14: lea 8(%rsp), %rsp\n"
        " ret\n"
        /* .Llost: one record of probe %esi lost (rdi = the ring). Clobbers rsi. */
        ".Llost:\n"
        " lock incq 48(%rdi)\n"
        " shl $6, %esi\n"
        " lock incq 272(%rdi,%rsi)\n"
        " ret\n"
        /* .Llostret: a return of probe %esi that will not be recorded. Clobbers rsi. */
        ".Llostret:\n"
        " lock incq 56(%rdi)\n"
        " shl $6, %esi\n"
        " lock incq 288(%rdi,%rsi)\n"
        " ret\n"
        /* .Lreads: the probe's read program (P_READS; -e 'r->x', compiled by the trace core), run
         * for a record at %r9 of the probe whose slot is in cdti_entry's frame. Ops of 24 bytes:
         * u8 kind (0 end, 1 load: the 8 bytes read are the next op's base, 2 copy), u8 reg (the
         * record's register index of the chain's base; 0xfe: 0; 0xff: the previous load), u32 len at 4, u32
         * dst at 8 (the window in the record: u64 addr, u32 got, u32 len, the bytes), i64 off at 16.
         * Never a load through a program pointer here: process_vm_readv on the process's own pid
         * (a NULL or wild pointer gives EFAULT or a short count, not a fault), the remote range
         * split at its page boundary so that a string's readable part is kept. A failed read ends
         * its chain: the ops after it up to the next base are marked not read (got = -1). The pid
         * is in a MADV_WIPEONFORK page (cdbg writes it at arm): zero in a forked child, which asks
         * the kernel for its own (a child must read its own memory, not its parent's; a vfork
         * child shares the page and the memory). Keeps every register but rax, rcx,
         * rdx, rsi, rdi and r11 (r8, r9 and r10 too: cdti_entry's pos, record and TID). */
        ".Lreads:\n"
        " mov .Lring(%rip), %rax\n"
        " mov 96(%rsp), %rcx\n"                      /* the slot */
        " shl $6, %rcx\n"
        " mov " CDTI_STR(H_PROBES + P_READS) "(%rax,%rcx), %ecx\n"
        /* .Lreads_prog: the program at ring offset %ecx (0: none), %rax = the ring, for the
         * record at %r9 (the return record's reads, from .Lret) */
        ".Lreads_prog:\n"
        " test %ecx, %ecx\n"
        " jnz 1f\n"
        " ret\n"
        "1: push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n push %r8\n push %r9\n push %r10\n"
        " sub $56, %rsp\n"                           /* 0: local iovec, 16: two remote, 48: window */
        " mov %r9, %r14\n"                           /* r14 = the record */
        " lea (%rax,%rcx), %r12\n"                   /* r12 = the op */
        " mov " CDTI_STR(H_PIDPG) "(%rax), %rdx\n"
        " mov (%rdx), %ebx\n"                        /* rbx = the pid */
        " test %ebx, %ebx\n"
        " jnz 2f\n"
        " mov $39, %eax\n"                           /* getpid: a forked child's first read */
        " syscall\n"
        " mov %eax, %ebx\n"
        " mov %eax, (%rdx)\n"
        "2: xor %r15d, %r15d\n"                      /* r15 = the chain failed */
        "3: movzbl (%r12), %eax\n"
        " test %eax, %eax\n"
        " jz 9f\n"
        " movzbl 1(%r12), %ecx\n"
        " cmp $0xff, %ecx\n"
        " je 4f\n"
        " xor %r13d, %r13d\n"                       /* 0xfe: from 0 (a global's address) */
        " cmp $0xfe, %ecx\n"
        " je 41f\n"
        " mov " CDTI_STR(R_REGS) "(%r14,%rcx,8), %r13\n" /* r13 = the chain's base */
        "41: xor %r15d, %r15d\n"
        "4: mov 8(%r12), %edx\n"
        " lea (%r14,%rdx), %rdi\n"                   /* the window */
        " mov 16(%r12), %rsi\n"
        " add %r13, %rsi\n"                          /* the address */
        " mov 4(%r12), %ecx\n"
        " mov %rsi, (%rdi)\n"
        " mov %ecx, 12(%rdi)\n"
        " test %r15d, %r15d\n"
        " jnz 7f\n"
        " lea 16(%rdi), %rax\n"
        " mov %rax, 0(%rsp)\n"
        " mov %rcx, 8(%rsp)\n"
        " mov %rsi, 16(%rsp)\n"
        " mov %esi, %eax\n"
        " and $4095, %eax\n"
        " add %rcx, %rax\n"
        " mov $1, %r8d\n"
        " mov %rcx, 24(%rsp)\n"
        " cmp $4096, %rax\n"
        " jbe 5f\n"
        " sub $4096, %rax\n"                         /* the bytes on the next page */
        " mov %rax, 40(%rsp)\n"
        " sub %rax, %rcx\n"
        " mov %rcx, 24(%rsp)\n"
        " add %rsi, %rcx\n"
        " mov %rcx, 32(%rsp)\n"
        " mov $2, %r8d\n"
        "5: mov %rdi, 48(%rsp)\n"
        " mov %ebx, %edi\n"
        " lea 0(%rsp), %rsi\n"
        " mov $1, %edx\n"
        " lea 16(%rsp), %r10\n"
        " xor %r9d, %r9d\n"
        " mov $310, %eax\n"                          /* process_vm_readv */
        " syscall\n"
        " mov 48(%rsp), %rdi\n"
        " mov 4(%r12), %ecx\n"
        " test %rax, %rax\n"
        " jns 6f\n"
        " xor %eax, %eax\n"
        "6: mov %eax, 8(%rdi)\n"
        " cmp %rcx, %rax\n"
        " jne 71f\n"
        " cmpb $1, (%r12)\n"
        " jne 8f\n"
        " mov 16(%rdi), %r13\n"                      /* a load: the next op's base */
        " jmp 8f\n"
        "71: mov $1, %r15d\n"                        /* short: the rest of the chain is not read */
        " jmp 8f\n"
        "7: movl $-1, 8(%rdi)\n"
        "8: add $24, %r12\n"
        " jmp 3b\n"
        "9: add $56, %rsp\n"
        " pop %r10\n pop %r9\n pop %r8\n pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n"
        " ret\n"
        /* .Lfind: the shadow stack of TID %rax (zero-extended); with %dl set, claims one if the
         * thread has none. Out: r10 = its header, or 0. Keeps every other register.
         * Open addressing from TID % SH_N; an owner of -1 is a stack given back (no call in
         * flight), reusable; 0 ends a chain. Only the thread itself inserts its TID, so a claim
         * races only with other TIDs' claims of the same free stack: cmpxchg, and look again. */
        ".Lfind:\n"
        " push %rcx\n push %rsi\n push %rdi\n push %r8\n push %r11\n"
        " mov .Lshadow(%rip), %r11\n"
        " xor %r10d, %r10d\n"
        " test %r11, %r11\n"
        " jz 59f\n"
        "50: mov %eax, %ecx\n"
        " and $" CDTI_STR(SH_NMASK) ", %ecx\n"
        " xor %r8d, %r8d\n"
        " mov $" CDTI_STR(SH_N) ", %esi\n"
        "51: mov %rcx, %rdi\n"
        " shl $" CDTI_STR(SH_SHIFT) ", %rdi\n"
        " add %r11, %rdi\n"
        " mov (%rdi), %r10\n"
        " cmp %rax, %r10\n"
        " je 58f\n"
        " test %r10, %r10\n"
        " jz 54f\n"
        " cmp $-1, %r10\n"
        " jne 52f\n"
        " test %r8, %r8\n"
        " jnz 52f\n"
        " mov %rdi, %r8\n"
        "52: inc %ecx\n"
        " and $" CDTI_STR(SH_NMASK) ", %ecx\n"
        " dec %esi\n"
        " jnz 51b\n"
        " xor %edi, %edi\n"
        "54: test %dl, %dl\n"
        " jz 57f\n"
        " test %r8, %r8\n"
        " jz 55f\n"
        " mov %r8, %rdi\n"
        "55: test %rdi, %rdi\n"
        " jz 57f\n"
        " mov (%rdi), %r10\n"
        " test %r10, %r10\n"
        " je 56f\n"
        " cmp $-1, %r10\n"
        " jne 50b\n"
        "56: push %rax\n"
        " mov %rax, %rcx\n"
        " mov %r10, %rax\n"
        " lock cmpxchg %rcx, (%rdi)\n"
        " pop %rax\n"
        " jne 50b\n"
        "58: mov %rdi, %r10\n"
        " jmp 59f\n"
        "57: xor %r10d, %r10d\n"
        "59: pop %r11\n pop %r8\n pop %rdi\n pop %rsi\n pop %rcx\n"
        " ret\n"
        /* .Lret: a traced call returns here (its return address was replaced at entry). */
        ".balign 16\n"
        "cdti_ret:\n"
        ".Lret:\n"
        " sub $8, %rsp\n"                             /* S: the real return address goes here */
        " pushfq\n"
        " push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
        " push %r8\n push %r9\n push %r10\n push %r11\n"
        /* [rsp]=r11 ... 64=rax 72=flags 80=S; the caller's rsp = rsp + 88 */
        " cld\n"
        " mov .Lring(%rip), %rdi\n"
        " mov 40(%rdi), %rax\n"
        " test %rax, %rax\n"
        " js 1f\n"
        " mov %fs:(%rax), %eax\n"
        " jmp 2f\n"
        "1: mov $186, %eax\n"
        " syscall\n"
        "2: mov %eax, %r9d\n"                         /* r9 = the TID */
        " lea 80(%rsp), %r11\n"                       /* r11 = S */
        " xor %edx, %edx\n"
        " call .Lfind\n"
        " test %r10, %r10\n"
        " jz 20f\n"
        " mov 8(%r10), %rcx\n"
        "3: test %rcx, %rcx\n"                        /* from the top, the entry made at S */
        " jz 20f\n"
        " dec %rcx\n"
        " mov %rcx, %rdx\n"
        " shl $5, %rdx\n"
        " lea 32(%r10,%rdx), %rdx\n"
        " cmp %r11, (%rdx)\n"
        " jne 3b\n"
        /* the entries above it are calls that will not return (a longjmp out of them): lost */
        " mov 8(%r10), %r8\n"
        "4: dec %r8\n"
        " cmp %rcx, %r8\n"
        " jbe 5f\n"
        " mov %r8, %rax\n"
        " shl $5, %rax\n"
        " mov 48(%r10,%rax), %esi\n"
        " call .Llostret\n"
        " jmp 4b\n"
        "5: mov 8(%rdx), %rax\n"
        " mov %rax, 80(%rsp)\n"                       /* ret goes there */
        " mov 16(%rdx), %esi\n"                       /* the probe */
        " mov %rcx, 8(%r10)\n"
        " test %rcx, %rcx\n"
        " jnz 30f\n"
        " movq $-1, (%r10)\n"                         /* nothing in flight: back to the pool */
        " jmp 30f\n"
        /* not on this thread's stack: a child forked inside a traced call has a new TID and its own
         * copy of the stacks (MAP_PRIVATE), where its parent thread's stack holds the call */
        "20: mov .Lshadow(%rip), %r10\n"
        " xor %ecx, %ecx\n"
        "21: mov (%r10), %rax\n"
        " test %rax, %rax\n"
        " jz 23f\n"
        " cmp $-1, %rax\n"
        " je 23f\n"
        " mov 8(%r10), %r8\n"
        "22: test %r8, %r8\n"
        " jz 23f\n"
        " dec %r8\n"
        " mov %r8, %rdx\n"
        " shl $5, %rdx\n"
        " lea 32(%r10,%rdx), %rdx\n"
        " cmp %r11, (%rdx)\n"
        " jne 22b\n"
        " mov 8(%rdx), %rax\n"
        " mov %rax, 80(%rsp)\n"
        " mov 16(%rdx), %esi\n"
        " jmp 30f\n"
        "23: add $" CDTI_STR(SH_SZ) ", %r10\n"
        " inc %ecx\n"
        " cmp $" CDTI_STR(SH_N) ", %ecx\n"
        " jb 21b\n"
        " ud2\n"                                      /* no trace of this call anywhere (docs) */
        /* the return record: rax/rdx/xmm0-1 are the value, rip the return address */
        "30: mov 128(%rdi), %rax\n"
        " mov %rax, %rdx\n"
        " sub 192(%rdi), %rdx\n"
        " cmp 8(%rdi), %rdx\n"
        " jge 38f\n"
        " lea 1(%rax), %rdx\n"
        " lock cmpxchg %rdx, 128(%rdi)\n"
        " jne 30b\n"
        " mov %rax, %r8\n"
        " and 16(%rdi), %rax\n"
        " imul 24(%rdi), %rax\n"
        " add 32(%rdi), %rax\n"
        " lea (%rdi,%rax), %rcx\n"                    /* rcx = the record */
        " or $0x80000000, %esi\n"
        " mov %esi, 8(%rcx)\n"
        " mov %r9d, 12(%rcx)\n"
        " rdtsc\n"
        " shl $32, %rdx\n"
        " or %rdx, %rax\n"
        " mov %rax, 16(%rcx)\n"
        " mov %r15, 24(%rcx)\n mov %r14, 32(%rcx)\n mov %r13, 40(%rcx)\n mov %r12, 48(%rcx)\n"
        " mov %rbp, 56(%rcx)\n mov %rbx, 64(%rcx)\n"
        " mov 0(%rsp), %rax\n mov %rax, 72(%rcx)\n"
        " mov 8(%rsp), %rax\n mov %rax, 80(%rcx)\n"
        " mov 16(%rsp), %rax\n mov %rax, 88(%rcx)\n"
        " mov 24(%rsp), %rax\n mov %rax, 96(%rcx)\n"
        " mov 64(%rsp), %rax\n mov %rax, 104(%rcx)\n"
        " mov 56(%rsp), %rax\n mov %rax, 112(%rcx)\n"
        " mov 48(%rsp), %rax\n mov %rax, 120(%rcx)\n"
        " mov 40(%rsp), %rax\n mov %rax, 128(%rcx)\n"
        " mov 32(%rsp), %rax\n mov %rax, 136(%rcx)\n"
        " mov 80(%rsp), %rax\n mov %rax, 144(%rcx)\n"   /* rip = where it returns to */
        " mov 72(%rsp), %rax\n mov %rax, 152(%rcx)\n"
        " lea 88(%rsp), %rax\n mov %rax, 160(%rcx)\n"
        " movl $0, 168(%rcx)\n"
        " cmpq $176, " CDTI_STR(H_STACKOFF) "(%rdi)\n" /* a lean ring: no xmm registers */
        " je 37f\n"
        " movdqu %xmm0, 176(%rcx)\n movdqu %xmm1, 192(%rcx)\n movdqu %xmm2, 208(%rcx)\n"
        " movdqu %xmm3, 224(%rcx)\n movdqu %xmm4, 240(%rcx)\n movdqu %xmm5, 256(%rcx)\n"
        " movdqu %xmm6, 272(%rcx)\n movdqu %xmm7, 288(%rcx)\n"
        /* --ret reads (a returned char pointer's string): the program's offset is in the flags
         * word's upper 24 bits */
        "37: mov 8(%rcx), %eax\n"
        " and $0x7fffffff, %eax\n"
        " shl $6, %eax\n"
        " mov " CDTI_STR(H_PROBES + P_FLAGS) "(%rdi,%rax), %eax\n"
        " shr $8, %eax\n"
        " jz 36f\n"
        " push %rcx\n push %rdi\n push %r8\n"
        " mov %rcx, %r9\n"
        " mov %eax, %ecx\n"
        " mov %rdi, %rax\n"
        " call .Lreads_prog\n"
        " pop %r8\n pop %rdi\n pop %rcx\n"
        "36: lea 1(%r8), %rax\n"
        " mov %rax, (%rcx)\n"                         /* publish */
        " jmp 39f\n"
        "38: call .Llost\n"                           /* the ring is full */
        "39: pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
        " pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
        " popfq\n"
        " ret\n"
        /* cdti_unhijack: called like cdti_entry from the stubs at the unwinder's entry points
         * (_Unwind_RaiseException, _Unwind_Resume_or_Rethrow, _Unwind_ForcedUnwind): an exception
         * is about to walk the stack, and a trampoline address has no unwind information (the
         * program would terminate). Every hijacked return address of this thread is put back;
         * those calls' returns are lost (counted). An entry whose slot no longer holds the
         * trampoline address it put there is a dead frame: its slot is not written. */
        ".balign 16\n"
        "cdti_unhijack:\n"
        " pushfq\n"
        " push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
        " push %r8\n push %r9\n push %r10\n push %r11\n"
        " mov .Lring(%rip), %rdi\n"
        " mov 40(%rdi), %rax\n"
        " test %rax, %rax\n"
        " js 1f\n"
        " mov %fs:(%rax), %eax\n"
        " jmp 2f\n"
        "1: mov $186, %eax\n"
        " syscall\n"
        "2: xor %edx, %edx\n"
        " call .Lfind\n"
        " test %r10, %r10\n"
        " jz 9f\n"
        " mov 8(%r10), %rcx\n"
        "3: test %rcx, %rcx\n"
        " jz 5f\n"
        " dec %rcx\n"
        " mov %rcx, %rdx\n"
        " shl $5, %rdx\n"
        " lea 32(%r10,%rdx), %rdx\n"
        " mov (%rdx), %r11\n"
        " mov 24(%rdx), %rax\n"
        " cmp (%r11), %rax\n"
        " jne 4f\n"
        " mov 8(%rdx), %rax\n"
        " mov %rax, (%r11)\n"
        "4: mov 16(%rdx), %esi\n"
        " call .Llostret\n"
        " mov %rcx, 8(%r10)\n"
        " jmp 3b\n"
        "5: movq $-1, (%r10)\n"
        "9: pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
        " pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
        " popfq\n"
        " ret\n"
        /* cdti_compact: called like cdti_entry, for a probe of a compact ring (every probe's core
         * reads only some general registers: backend.h regs_only). The record is the header (seq,
         * slot, TID, TSC) then the registers the probe's table entry lists, 8 bytes each: 32
         * bytes for one argument instead of ~320, so the program writes and the reader reads a
         * tenth of the bytes and the same ring holds ten times the records. Every register is
         * pushed so the list can index them: [rsp] = the probed code's rsp, 8 = r15 ... 48 = rbx,
         * 56 = r11 ... 120 = rax, 128 = flags, 136 = ret, 144 = slot (frame_slot() in C). In the
         * patch page header it lies in cdti_unhijack's ROUTINE range (the same kind: the return
         * address into the stub is 136 bytes above rsp at most, within CD_PP_SCAN). */
        ".balign 16\n"
        /* cdti_compact_nf: cdti_compact at a function's entry for a lean probe of a full ring (its
         * compact record in a full-sized slot: lockorder's unlocks), the flags not kept (as
         * cdti_entry_nf) */
        "cdti_compact_nf:\n"
        " lea -8(%rsp), %rsp\n"
        " movq $" CDTI_STR(FLAGS_NOT_SAVED) ", (%rsp)\n"
        " jmp .Lcompact_regs\n"
        "cdti_compact:\n"
        " pushfq\n"
        ".Lcompact_regs:\n"
        " push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
        " push %r8\n push %r9\n push %r10\n push %r11\n"
        " push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
        " lea 272(%rsp), %rax\n"
        " push %rax\n"
        " cld\n"
        " mov .Lring(%rip), %rdi\n"
        "1: mov 128(%rdi), %rax\n"
        " mov %rax, %rdx\n"
        " sub 192(%rdi), %rdx\n"
        " cmp 8(%rdi), %rdx\n"
        " jge 8f\n"
        " lea 1(%rax), %rdx\n"
        " lock cmpxchg %rdx, 128(%rdi)\n"
        " jne 1b\n"
        " mov %rax, %r8\n"
        " and 16(%rdi), %rax\n"
        " imul 24(%rdi), %rax\n"
        " add 32(%rdi), %rax\n"
        " lea (%rdi,%rax), %rsi\n"
        " mov 144(%rsp), %rcx\n"
        " mov %ecx, 8(%rsi)\n"
        " mov 40(%rdi), %rax\n"
        " test %rax, %rax\n"
        " js 2f\n"
        " mov %fs:(%rax), %eax\n"
        " jmp 3f\n"
        "2: mov $186, %eax\n"
        " syscall\n"
        "3: mov %eax, 12(%rsi)\n"
        " rdtsc\n"
        " shl $32, %rdx\n"
        " or %rdx, %rax\n"
        " mov %rax, 16(%rsi)\n"
        " mov 144(%rsp), %rcx\n"
        " shl $6, %rcx\n"
        " lea 256(%rdi,%rcx), %rcx\n"                /* the probe's table entry */
        " movzbl 40(%rcx), %edx\n"                   /* how many registers */
        " lea 41(%rcx), %r10\n"                      /* their frame slots */
        " lea 24(%rsi), %r9\n"
        "4: test %edx, %edx\n"
        " jz 5f\n"
        " movzbl (%r10), %eax\n"
        " mov (%rsp,%rax,8), %rax\n"
        " mov %rax, (%r9)\n"
        " inc %r10\n"
        " add $8, %r9\n"
        " dec %edx\n"
        " jmp 4b\n"
        "5: lea 1(%r8), %rax\n"
        " mov %rax, (%rsi)\n"                        /* publish */
        " jmp 9f\n"
        "8: lock incq 48(%rdi)\n"                    /* full: count the drop */
        " mov 144(%rsp), %rcx\n"
        " shl $6, %rcx\n"
        " lock incq 272(%rdi,%rcx)\n"
        "9: add $56, %rsp\n"                         /* rsp, r15..rbx: not changed */
        " pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
        " pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
        " cmpq $" CDTI_STR(FLAGS_NOT_SAVED) ", (%rsp)\n"
        " je 14f\n"
        " popfq\n"
        " ret\n"
        "14: lea 8(%rsp), %rsp\n"
        " ret\n"
        "cdti_blob_end:\n"
        ".popsection\n");
extern const uint8_t cdti_blob[], cdti_blob_end[], cdti_entry[], cdti_entry_nf[], cdti_ret[], cdti_unhijack[],
    cdti_compact[], cdti_compact_nf[], cdti_readcall[];

typedef struct region {
    uint64_t base;  /* in the target */
    size_t used;    /* bytes handed out (record routine included) */
    size_t nent;    /* patch page header entries handed out (target/patchmap.h) */
    bool written;   /* the record routine and ring pointer are in place */
} region;

typedef struct iprobe {
    cd_probe p;
    char *func, *module;
    uint32_t slot;
    uint64_t patch_at;      /* addr + skip */
    size_t patch_len;       /* bytes of whole instructions the jmp covers (>= 5) */
    uint8_t orig[CD_X86_HEAD_MAX];
    uint8_t reloc[CD_X86_HEAD_MAX * CD_X86_RELOC_MAX];
    size_t reloc_len;
    cd_x86_head head;
    int region;             /* index into regions, -1 before arm */
    uint64_t stub;
    bool patched;
    bool internal;          /* an unwinder hook (add_unwind_hooks), not the core's probe */
    uint32_t ret_off;       /* --ret: the return address is at the probed code's rsp + this */
    uint64_t hits, drops_seen, lostret_seen;
    /* --ret: calls still running when the probes came out (their return addresses given back at
     * disarm): not lost, said apart (CD_DROP_RUNNING) */
    uint64_t running, running_seen;
    /* a compact ring's record: these DWARF registers, in this order (reg_mask's bits, low first) */
    uint8_t nv;
    uint8_t vreg[16];
    bool compact_rec;       /* a compact record in a full ring's slot (a lean regs_only probe) */
    /* -e reads (cd_probe.reads, copied): the window of step k is at wdst[k] in the record */
    cd_probe_read *reads;
    uint32_t *wdst;
    cd_probe_read *rreads;  /* cd_probe.ret_reads, run at the return: windows at rwdst[k] */
    uint32_t *rwdst;
} iprobe;

typedef struct inl {
    cd_x86 *x86;
    iprobe *probes;
    size_t nprobes;
    region *regions;
    size_t nregions;
    /* the ring, as cdbg maps it */
    int fd;
    uint8_t *ring;
    size_t ring_size;
    uint64_t target_ring;   /* where the target maps it */
    uint64_t shadow;        /* --ret's shadow stacks in the target (0: no probe wants returns) */
    uint64_t cap, rec_size;
    uint64_t stack_off;     /* where a record's stack copy starts: R_STACK, R_XMM in a lean ring */
    bool lean;              /* every probe is lean (cd_probe.lean): no xmm, flags not kept at entry */
    bool compact;           /* every probe's record is the header and its registers (cdti_compact) */
    uint64_t tail;
    uint64_t drops_seen;
    int hooks_missing;      /* unwinder entry points that could not be hooked */
    bool armed, disarmed, ended;
    /* TSC -> CLOCK_MONOTONIC: ns = mono_ref + (tsc - tsc_ref) * scale */
    uint64_t tsc0, mono0;   /* the first calibration point: scale = (mono - mono0) / (tsc - tsc0) */
    uint64_t tsc_ref, mono_ref;
    double scale;
    uint64_t last_alive_ns;
    uint64_t stuck_since_ns; /* the tail's slot claimed but not yet published since then */
    pid_t pid;
    /* -e reads: where the windows start in a record, their bytes per record at most, why they are
     * not copied (NULL: they are), and the windows handed to the sink */
    uint32_t xoff, xbytes;
    const char *reads_why;
    char reads_whybuf[200];
    cd_snapshot_window *win;
    size_t win_cap;
} inl;

#define I(b) ((inl *)(b)->priv)

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One (tsc, monotonic) pair, the TSC read between two clock reads as close together as we can get. */
static void tsc_pair(uint64_t *tsc, uint64_t *mono)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = mono_ns();
        uint64_t t = __rdtsc();
        uint64_t b = mono_ns();
        if (b - a < best) {
            best = b - a;
            *tsc = t;
            *mono = a + (b - a) / 2;
        }
    }
}

static void recalibrate(inl *s)
{
    tsc_pair(&s->tsc_ref, &s->mono_ref);
    if (s->tsc_ref > s->tsc0 + 1000000 && s->mono_ref > s->mono0)
        s->scale = (double)(s->mono_ref - s->mono0) / (double)(s->tsc_ref - s->tsc0);
}

static uint64_t tsc_to_ns(const inl *s, uint64_t tsc)
{
    double d = ((double)(int64_t)(tsc - s->tsc_ref)) * s->scale;
    return (uint64_t)((int64_t)s->mono_ref + (int64_t)d);
}

/* ---- check ---- */

/* --ret: where the return address is, as an offset from the stack pointer at the probe: the bytes
 * the prologue before it pushed and reserved (a probe after `push %rbp; mov %rsp,%rbp; sub $N,%rsp`
 * and the spills, as -O0 code is probed). Anything else that moves the stack pointer is refused. */
static int ret_offset(inl *s, const uint8_t *code, size_t upto, uint64_t lo, uint32_t *out, cd_err *err,
                      const char *fn)
{
    uint64_t off = 0;
    size_t at = 0;
    while (at < upto) {
        cd_insn in;
        if (!cd_x86_decode(s->x86, code + at, upto - at, lo + at, &in) || in.kind != CD_INSN_OTHER)
            goto refuse;
        const uint8_t *b = in.bytes;
        size_t ol = strlen(in.ops);
        if (!strcmp(in.mnemonic, "push") || !strcmp(in.mnemonic, "pushq")) {
            off += 8;
        } else if (in.len == 4 && b[0] == 0x48 && b[1] == 0x83 && b[2] == 0xec) {
            off += b[3];
        } else if (in.len == 7 && b[0] == 0x48 && b[1] == 0x81 && b[2] == 0xec) {
            uint32_t v;
            memcpy(&v, b + 3, 4);
            off += v;
        } else if (!strncmp(in.mnemonic, "pop", 3) || !strncmp(in.mnemonic, "leave", 5) ||
                   !strncmp(in.mnemonic, "enter", 5) || (ol >= 4 && !strcmp(in.ops + ol - 4, "%rsp")) ||
                   (ol >= 4 && !strcmp(in.ops + ol - 4, "%esp")) || strstr(in.ops, "%sp")) {
            goto refuse;
        }
        at += in.len;
        if (off > 0x100000)
            goto refuse;
    }
    *out = (uint32_t)off;
    return 0;
refuse:
    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                    "inline: %s: --ret: the code before the probe moves the stack pointer in a way this backend does "
                    "not follow, so it cannot find the return address", fn);
}

static int analyse(inl *s, cd_trace_backend *b, const cd_probe *p, iprobe *out, cd_err *err)
{
    const char *fn = p->func ? p->func : "?";
    if (!p->func_lo || !p->func_hi || p->func_hi <= p->func_lo || p->addr < p->func_lo || p->addr >= p->func_hi)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "inline: %s: the function's bounds are unknown, so jumps into the patch cannot be ruled out", fn);
    size_t flen = (size_t)(p->func_hi - p->func_lo);
    if (flen > (16u << 20))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: the function is implausibly large (%zu bytes)",
                        fn, flen);
    uint8_t *code = cd_xmalloc(flen);
    if (cd_target_read_full(b->env.t, p->func_lo, code, flen) < 0) {
        free(code);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "inline: %s: cannot read its code at 0x%" PRIx64, fn,
                        p->func_lo);
    }
    size_t off = (size_t)(p->addr - p->func_lo);
    if (p->want_return && ret_offset(s, code, off, p->func_lo, &out->ret_off, err, fn) < 0) {
        free(code);
        return -1;
    }
    cd_x86_head *h = &out->head;
    cd_err herr = {0};
    if (cd_x86_head_decode(s->x86, code + off, flen - off, p->addr, 5, h, &herr) < 0) {
        free(code);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: %s", fn, herr.msg);
    }
    uint64_t patch_at = p->addr + h->skip;
    uint64_t lo = p->addr == p->func_lo ? p->func_lo : p->addr + 1, hi = patch_at + h->len;
    if (p->addr != p->func_lo && h->skip)
        lo = patch_at + 1; /* an endbr64 mid-function is a landing pad: a jump to it is a hit */
    uint64_t where = 0;
    cd_x86_scan sc = cd_x86_scan_branches_into(s->x86, code, flen, p->func_lo, lo, hi, &where);
    free(code);
    /* the function's other pieces (gcc's NAME.cold jumps back into NAME's middle). Without DWARF
     * they may not all be known: a probe in the middle is refused then; one at the entry is taken
     * with the pieces the symbols show (a cold part returns to where its function's frame is set
     * up, past the entry's prologue), and so is a backend driven without a symbol table, whose
     * caller vouches for [func_lo, func_hi). */
    uint64_t pieces[16][2];
    size_t npieces = 0;
    if (sc == CD_X86_SCAN_CLEAR || sc == CD_X86_SCAN_INDIRECT) {
        int known = b->env.sym ? cd_symtab_func_extent(b->env.sym, p->addr, pieces, 16, &npieces) : 0;
        if (known < 0 || (known == 0 && p->addr != p->func_lo))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                            "inline: %s: the function's pieces are unknown (no debug info), so jumps into the patch "
                            "cannot be ruled out",
                            fn);
        cd_x86_scan s2 = cd_cpatch_scan_pieces(b->env.t, s->x86, (const uint64_t(*)[2])pieces, npieces, lo, hi, &where);
        if (s2 == CD_X86_SCAN_BRANCH_INTO || s2 == CD_X86_SCAN_UNDECODABLE || (s2 == CD_X86_SCAN_INDIRECT && !sc))
            sc = s2;
    }
    char at[96];
    if (where >= p->func_lo && where < p->func_hi)
        snprintf(at, sizeof at, "%s+0x%" PRIx64, fn, where - p->func_lo);
    else
        snprintf(at, sizeof at, "0x%" PRIx64 " (in another piece of %s)", where, fn);
    if (sc == CD_X86_SCAN_BRANCH_INTO)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: a branch at %s lands inside the %zu patched bytes",
                        fn, at, h->len);
    if (sc == CD_X86_SCAN_UNDECODABLE)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "inline: %s: bytes at %s do not decode, so jumps into the patch cannot be ruled out", fn,
                        at);
    /* its table is not bounded here: in the middle of a function, a case could be in the patch */
    if (sc == CD_X86_SCAN_INDIRECT && p->addr != p->func_lo)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "inline: %s: an indirect jump at %s (a jump table?) could land inside the patch", fn, at);
    /* CD_X86_SCAN_INDIRECT is taken at the entry: an indirect jmp is a tail call or a jump table,
     * and compilers do not aim a table at a function's first bytes (its prologue). */
    const cd_insn *in = cd_cpatch_unmovable(h);
    if (in)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "inline: %s: the instruction at %s+0x%" PRIx64 " (%s %s) cannot be relocated", fn, fn,
                        in->addr - p->func_lo, in->mnemonic, in->ops);
    for (size_t i = 0; i < s->nprobes; i++) {
        const iprobe *o = &s->probes[i];
        if (patch_at < o->patch_at + o->patch_len && o->patch_at < patch_at + h->len)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                            "inline: %s: the patch at 0x%" PRIx64 " overlaps the one already placed for %s", fn,
                            patch_at, o->func ? o->func : "another probe");
    }
    if (s->nprobes >= MAX_PROBES)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "inline: %s: more than %d probes", fn, MAX_PROBES);
    if (s->armed)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: probes must be added before arm", fn);
    out->patch_at = patch_at;
    out->patch_len = h->len;
    return 0;
}

static int inl_check(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    iprobe tmp;
    memset(&tmp, 0, sizeof tmp);
    return analyse(I(b), b, p, &tmp, err);
}

static int inl_add(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    inl *s = I(b);
    iprobe ip;
    memset(&ip, 0, sizeof ip);
    if (analyse(s, b, p, &ip, err) < 0)
        return -1;
    ip.p = *p;
    ip.func = p->func ? strdup(p->func) : NULL;
    ip.module = p->module_path ? strdup(p->module_path) : NULL;
    ip.p.func = ip.func;
    ip.p.module_path = ip.module;
    ip.p.stack_bytes = p->stack_bytes > CD_TRACE_MAX_STACK ? CD_TRACE_MAX_STACK : p->stack_bytes;
    if (p->nreads) {
        ip.reads = cd_xmalloc(p->nreads * sizeof *ip.reads);
        memcpy(ip.reads, p->reads, p->nreads * sizeof *ip.reads);
        ip.wdst = cd_xcalloc(p->nreads, sizeof *ip.wdst);
    }
    ip.p.reads = ip.reads;
    if (p->nret_reads && p->want_return) {
        ip.rreads = cd_xmalloc(p->nret_reads * sizeof *ip.rreads);
        memcpy(ip.rreads, p->ret_reads, p->nret_reads * sizeof *ip.rreads);
        ip.rwdst = cd_xcalloc(p->nret_reads, sizeof *ip.rwdst);
    } else {
        ip.p.nret_reads = 0;
    }
    ip.p.ret_reads = ip.rreads;
    ip.slot = (uint32_t)s->nprobes;
    ip.region = -1;
    for (int r = 0; r < 16 && p->regs_only; r++)
        if (p->reg_mask & (1u << r))
            ip.vreg[ip.nv++] = (uint8_t)r;
    for (int i = 0; i < ip.head.n; i++)
        memcpy(ip.orig + (ip.head.insn[i].addr - ip.patch_at), ip.head.insn[i].bytes, ip.head.insn[i].len);
    s->probes = cd_xrealloc(s->probes, (s->nprobes + 1) * sizeof *s->probes);
    s->probes[s->nprobes++] = ip;
    return 0;
}

/* --ret: the unwinder's entry points get a stub that calls cdti_unhijack (every hijacked return
 * address of the thread put back) before an exception or a forced unwind (pthread_exit,
 * pthread_cancel) walks the stack: the trampoline has no unwind information, and a C++ exception
 * through a hijacked call would terminate the program. Where an entry point is not loaded yet
 * (libgcc_s dlopened later) or cannot be patched, that remains a limit (docs/tracing-inline.md). */
static void add_unwind_hooks(inl *s, cd_trace_backend *b)
{
    /* libgcc_s's own entry points where they can be patched; libstdc++'s throws where they
     * cannot (Debian's libgcc_s has CET shadow-stack instructions that capstone does not decode,
     * so the whole-function scan refuses them) */
    static const char *const names[] = {"_Unwind_RaiseException", "_Unwind_Resume_or_Rethrow", "_Unwind_ForcedUnwind",
                                        "__cxa_throw", "__cxa_rethrow",
                                        "_ZSt17rethrow_exceptionNSt15__exception_ptr13exception_ptrE"};
    bool want = false;
    for (size_t i = 0; i < s->nprobes; i++)
        want |= s->probes[i].p.want_return;
    if (!want || !b->env.sym)
        return;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        uint64_t a = 0, lo, hi;
        const char *n;
        if (cd_symtab_find_function(b->env.sym, names[k], &a) < 0 || !a ||
            !cd_symtab_func_bounds(b->env.sym, a, &n, &lo, &hi) || lo != a)
            continue;
        cd_probe p = {.id = UINT32_MAX, .addr = a, .func_lo = lo, .func_hi = hi, .at_entry = true, .func = names[k]};
        cd_err e = {0};
        size_t before = s->nprobes;
        int ar = inl_add(b, &p, &e);
        if (ar == 0 && s->nprobes > before)
            s->probes[before].internal = true;
        else
            s->hooks_missing++;
    }
}

/* ---- holding every thread ---- */

/* Holds every thread (those the process starts meanwhile too). */
static int hold_all(cd_target *t, cd_err *err)
{
    for (int round = 0; round < 50; round++) {
        if (t->ops->refresh_threads(t, err) < 0)
            return -1;
        if (cd_target_stop(t, NULL, 0, err) < 0)
            return -1;
        if (t->ops->refresh_threads(t, err) < 0)
            return -1;
        bool all = true;
        for (size_t i = 0; i < t->nthreads; i++)
            if (!t->threads[i]->gone && !t->threads[i]->held)
                all = false;
        if (all)
            return 0;
    }
    return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "inline: cannot hold every thread of process %d: it keeps "
                    "starting new ones", (int)t->pid);
}

/* Whether some held thread's pc is in [lo, hi). */
static bool pc_in(cd_target *t, uint64_t lo, uint64_t hi)
{
    return cd_cpatch_pc_in(t, lo, hi, false);
}

/* Holds every thread with no pc inside any of the byte ranges `unsafe` says; lets them run a little
 * and tries again when one is (bounded). */
typedef bool (*unsafe_fn)(inl *s, cd_target *t);

static int hold_safe(inl *s, cd_target *t, unsafe_fn unsafe, cd_err *err)
{
    for (int round = 0; round < 200; round++) {
        if (hold_all(t, err) < 0)
            return -1;
        if (!unsafe(s, t))
            return 0;
        if (cd_target_resume(t, NULL, 0, err) < 0)
            return -1;
        struct timespec ts = {0, 200000 + 100000 * (round % 10)};
        nanosleep(&ts, NULL);
    }
    return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER,
                    "inline: a thread of process %d stays inside the bytes to patch; try again", (int)t->pid);
}

static bool unsafe_to_patch(inl *s, cd_target *t)
{
    for (size_t i = 0; i < s->nprobes; i++) {
        const iprobe *ip = &s->probes[i];
        if (!ip->patched && pc_in(t, ip->patch_at + 1, ip->patch_at + ip->patch_len))
            return true;
    }
    return false;
}

static bool unsafe_to_unpatch(inl *s, cd_target *t)
{
    /* pc == patch_at is on the jmp: after the unpatch it runs the original first instruction */
    return unsafe_to_patch(s, t) || false;
}

static bool patched_unsafe(inl *s, cd_target *t)
{
    for (size_t i = 0; i < s->nprobes; i++) {
        const iprobe *ip = &s->probes[i];
        if (ip->patched && pc_in(t, ip->patch_at + 1, ip->patch_at + ip->patch_len))
            return true;
    }
    return false;
}

/* ---- injection ---- */

static int inject(cd_target *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                  uint64_t a5, int64_t *ret, cd_err *err)
{
    if (!cd_cpatch_held_thread(t))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "inline: no thread of process %d is held", (int)t->pid);
    uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    return cd_cpatch_inject(t, nr, args, ret, err);
}

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static bool near(uint64_t a, uint64_t b, uint64_t range)
{
    return a > b ? a - b < range : b - a < range;
}

/* A new region within 1 GB of addr (the stubs' rel32 jumps and the relocated rip-relative operands
 * must reach; the relocation checks the exact distances): the free gap of the address space
 * closest to addr. */
static int new_region(inl *s, cd_target *t, uint64_t addr, cd_err *err)
{
    uint64_t cands[64];
    int ncand = cd_cpatch_gaps_near(t, addr, REGION, 1ull << 30, cands, 64, err);
    if (ncand < 0)
        return -1;
    size_t nc = (size_t)ncand;
    for (size_t i = 0; i < nc; i++) {
        int64_t r;
        if (inject(t, SYS_mmap, cands[i], REGION, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0, &r, err) < 0)
            return -1;
        if (r < 0 && r > -4096)
            continue;
        if ((uint64_t)r != cands[i]) { /* a kernel without MAP_FIXED_NOREPLACE takes it as a hint */
            int64_t r2;
            cd_err e = {0};
            inject(t, SYS_munmap, (uint64_t)r, REGION, 0, 0, 0, 0, &r2, &e);
            continue;
        }
        /* the header that lets any unwinder map the region's pcs back (target/patchmap.h) */
        if (cd_pp_init(t, (uint64_t)r, CD_PP_INLINE, err) < 0)
            return -1;
        s->regions = cd_xrealloc(s->regions, (s->nregions + 1) * sizeof *s->regions);
        s->regions[s->nregions] = (region){.base = (uint64_t)r, .used = COMMON_SPACE, .nent = 3, .written = false};
        return (int)s->nregions++;
    }
    return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT,
                    "inline: no free address space within 1 GB of 0x%" PRIx64 " for a trampoline", addr);
}

static int make_ring(inl *s, cd_trace_backend *b, cd_err *err)
{
    cd_target *t = b->env.t;
    uint32_t maxstack = 0;
    for (size_t i = 0; i < s->nprobes; i++)
        if (s->probes[i].p.stack_bytes > maxstack)
            maxstack = s->probes[i].p.stack_bytes;
    s->lean = s->nprobes > 0;
    for (size_t i = 0; i < s->nprobes; i++)
        if (!s->probes[i].p.lean && !s->probes[i].internal)
            s->lean = false;
    s->stack_off = s->lean ? R_XMM : R_STACK;
    /* -e reads: the windows after the stack copy (u64 addr, u32 got, u32 len, the bytes), and
     * each probe's program after the probe table */
    s->xoff = (s->stack_off + maxstack + 7) & ~7u;
    s->xbytes = 0;
    size_t progs = 0;
    for (size_t i = 0; i < s->nprobes; i++) {
        iprobe *ip = &s->probes[i];
        uint32_t x = 0;
        for (uint32_t k = 0; k < ip->p.nreads; k++) {
            ip->wdst[k] = s->xoff + x;
            x += 16 + ((ip->reads[k].len + 7) & ~7u);
        }
        if (x > s->xbytes)
            s->xbytes = x;
        if (ip->p.nreads)
            progs += 24 * ((size_t)ip->p.nreads + 1);
        /* a return record copies no stack: its windows start where an entry's stack copy does */
        x = 0;
        for (uint32_t k = 0; k < ip->p.nret_reads; k++) {
            ip->rwdst[k] = (uint32_t)s->stack_off + x;
            x += 16 + ((ip->rreads[k].len + 7) & ~7u);
        }
        if (s->stack_off + x > s->xoff + s->xbytes)
            s->xbytes = (uint32_t)(s->stack_off + x - s->xoff);
        if (ip->p.nret_reads)
            progs += 24 * ((size_t)ip->p.nret_reads + 1);
    }
    s->rec_size = (s->xoff + s->xbytes + 63) & ~63ull;
    /* compact when the core reads only registers of every probe's entries (no --ret, no hooks) */
    s->compact = s->nprobes > 0;
    uint32_t nvmax = 0;
    for (size_t i = 0; i < s->nprobes; i++) {
        const iprobe *ip = &s->probes[i];
        if (!ip->p.regs_only || ip->p.want_return || ip->internal || (ip->p.reg_mask & ~0xffffu) || ip->p.nreads)
            s->compact = false;
        if (ip->nv > nvmax)
            nvmax = ip->nv;
    }
    if (s->compact)
        s->rec_size = R_TSC + 8 + 8 * (uint64_t)nvmax;
    /* the header holds the probe table of the probes there are: a small --buffer-size is records */
    size_t data_off = (H_PROBES + s->nprobes * PROBE_SZ + progs + 4095) & ~4095ull;
    size_t want = b->env.buffer_size ? b->env.buffer_size
                  : s->compact       ? data_off + DEFAULT_COMPACT_RECORDS * s->rec_size
                                     : DEFAULT_RING;
    /* the most records (a power of two: the writers mask) that fit in --buffer-size */
    uint64_t cap = 1;
    while (data_off + cap * 2 * s->rec_size <= want)
        cap *= 2;
    if (cap < 16)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "inline: a buffer of %zu bytes holds fewer than 16 records of %" PRIu64 " bytes; give a larger "
                        "--buffer-size", want, s->rec_size);
    s->cap = cap;
    s->ring_size = data_off + cap * s->rec_size;
    /* the memfd's name must be in the target's memory: the first region serves */
    static const char name[] = "cdbg-trace-ring";
    region *r0 = &s->regions[0];
    if (t->ops->write_mem(t, r0->base + COMMON_SPACE - 64, name, sizeof name, err) < 0)
        return -1;
    int64_t fd;
    if (inject(t, SYS_memfd_create, r0->base + COMMON_SPACE - 64, MFD_CLOEXEC, 0, 0, 0, 0, &fd, err) < 0)
        return -1;
    if (fd < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "inline: memfd_create in process %d failed: %s", (int)t->pid,
                        strerror((int)-fd));
    int rc = -1;
    int64_t r;
    char path[64];
    if (inject(t, SYS_ftruncate, (uint64_t)fd, s->ring_size, 0, 0, 0, 0, &r, err) < 0)
        goto close_fd;
    if (r < 0) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "inline: cannot size the %zu-byte ring in process %d: %s", s->ring_size,
                 (int)t->pid, strerror((int)-r));
        goto close_fd;
    }
    /* The first PREFAULT bytes populated: a page fault at the first record of each page costs the
     * traced thread more than the record itself (the shmem page's allocation and clearing), but
     * populating a whole large ring would cost every run the time to clear it, however few hits
     * it has. cdbg's own mapping is not populated: its read faults map 16 pages at a time. */
    if (inject(t, SYS_mmap, 0, s->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, (uint64_t)fd, 0, &r, err) < 0)
        goto close_fd;
    if (r < 0 && r > -4096) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "inline: cannot map the ring in process %d: %s", (int)t->pid,
                 strerror((int)-r));
        goto close_fd;
    }
    s->target_ring = (uint64_t)r;
    {
        int64_t pr;
        cd_err pe = {0};
        /* env.batch (lockorder): the reader lets the writers run half the ring before it reads,
         * so a burst touches those pages while its threads hold their locks: all populated */
        size_t pre = s->ring_size < PREFAULT || b->env.batch ? s->ring_size : PREFAULT;
        /* a kernel without MADV_POPULATE_WRITE (before 5.14) faults them in as they come */
        inject(t, SYS_madvise, s->target_ring, pre, MADV_POPULATE_WRITE, 0, 0, 0, &pr, &pe);
    }
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)t->pid, (int)fd);
    s->fd = open(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_PERMISSION, "inline: cannot open the ring %s: %s", path, strerror(errno));
        goto close_fd;
    }
    void *p = mmap(NULL, s->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (p == MAP_FAILED) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "inline: cannot map the ring (%zu bytes): %s", s->ring_size,
                 strerror(errno));
        close(s->fd);
        s->fd = -1;
        goto close_fd;
    }
    s->ring = p;
    uint64_t *h = (uint64_t *)s->ring;
    h[H_CAP / 8] = cap;
    h[H_MASK / 8] = cap - 1;
    h[H_RECSZ / 8] = s->rec_size;
    h[H_DATA / 8] = data_off;
    h[H_STACKOFF / 8] = s->stack_off;
    h[0] = RING_MAGIC;
    rc = 0;
close_fd:;
    cd_err e = {0};
    inject(t, SYS_close, (uint64_t)fd, 0, 0, 0, 0, 0, &r, &e);
    return rc;
}

/* --ret's shadow stacks: private (a child forked inside a traced call gets its own copy, where its
 * parent thread's entries tell it where to return; a shared one would be popped by both), anonymous
 * and not pre-populated (a thread touches its own stack's pages only). cdbg never reads them: the
 * counters it reports are in the ring. */
static int make_shadow(inl *s, cd_target *t, cd_err *err)
{
    bool want = false;
    for (size_t i = 0; i < s->nprobes; i++)
        want |= s->probes[i].p.want_return;
    if (!want)
        return 0;
    int64_t r;
    if (inject(t, SYS_mmap, 0, (uint64_t)SH_N * SH_SZ, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, (uint64_t)-1, 0, &r, err) < 0)
        return -1;
    if (r < 0 && r > -4096)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "inline: cannot map --ret's shadow stacks in process %d: %s",
                        (int)t->pid, strerror((int)-r));
    s->shadow = (uint64_t)r;
    return 0;
}

/* ---- -e reads copied at the hit (.Lreads) ---- */

/* The record's register index (R_REGS order) of DWARF register r (0-15, 7 = rsp). */
static uint8_t rec_reg(int r)
{
    static const uint8_t idx[17] = {10, 12, 11, 5, 13, 14, 4, 17, 9, 8, 7, 6, 3, 2, 1, 0, 15};
    return r >= 0 && r <= 16 ? idx[r] : 0xff;
}

/* Why the trampoline must not make system calls in this process, or NULL: a thread under seccomp
 * (strict or a filter, /proc/PID/task/TID/status) could be killed by a process_vm_readv its
 * filter does not expect. */
static const char *seccomp_why(inl *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)s->pid);
    DIR *d = opendir(path);
    if (!d)
        return NULL;
    const char *why = NULL;
    struct dirent *de;
    while (!why && (de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        char sp[96], line[256];
        int tid = atoi(de->d_name);
        snprintf(sp, sizeof sp, "/proc/%d/task/%d/status", (int)s->pid, tid);
        FILE *f = fopen(sp, "re");
        if (!f)
            continue;
        int mode = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Seccomp: %d", &mode) == 1)
                break;
        fclose(f);
        if (mode) {
            snprintf(s->reads_whybuf, sizeof s->reads_whybuf,
                     "thread %d runs under seccomp (mode %d), where a system call from the trampoline could kill it",
                     tid, mode);
            why = s->reads_whybuf;
        }
    }
    closedir(d);
    return why;
}

/* PID in its own pid namespace (the last NSpid of /proc/PID/status; PID itself without one). */
static pid_t ns_pid(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    pid_t r = pid;
    if (!f)
        return r;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "NSpid:", 6))
            continue;
        char *save = NULL;
        for (char *tok = strtok_r(line + 6, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
            r = (pid_t)atoi(tok);
        break;
    }
    fclose(f);
    return r > 0 ? r : pid;
}

/* The probes' read programs into the ring, and the pid page they use; or reads_why. */
static void setup_reads(inl *s, cd_target *t)
{
    bool any = false;
    for (size_t i = 0; i < s->nprobes; i++)
        any |= s->probes[i].p.nreads > 0 || s->probes[i].p.nret_reads > 0;
    if (!any)
        return;
    if ((s->reads_why = seccomp_why(s)))
        return;
    int64_t pg, r;
    cd_err e = {0};
    if (inject(t, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0, &pg, &e) < 0 ||
        (pg < 0 && pg > -4096)) {
        s->reads_why = "no page could be mapped in the process for them";
        return;
    }
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
    if (inject(t, SYS_madvise, (uint64_t)pg, 4096, MADV_WIPEONFORK, 0, 0, 0, &r, &e) < 0 || r != 0) {
        /* without it a forked child would read its parent's memory */
        s->reads_why = "the kernel has no MADV_WIPEONFORK (Linux 4.14)";
        return;
    }
    /* The pid as the process knows it (its own pid namespace's, NSpid's last field), written now
     * rather than left to the trampoline's first getpid: a vfork or posix_spawn child shares this
     * page with its parent and would leave its own pid there. */
    uint32_t nspid = (uint32_t)ns_pid(s->pid);
    if (t->ops->write_mem(t, (uint64_t)pg, &nspid, 4, &e) < 0) {
        s->reads_why = "the pid page could not be written";
        return;
    }
    ((uint64_t *)s->ring)[H_PIDPG / 8] = (uint64_t)pg;
    size_t at = H_PROBES + s->nprobes * PROBE_SZ;
    for (size_t i = 0; i < s->nprobes; i++) {
        iprobe *ip = &s->probes[i];
        for (int ret = 0; ret < 2; ret++) {
            uint32_t n = ret ? ip->p.nret_reads : ip->p.nreads;
            const cd_probe_read *rds = ret ? ip->rreads : ip->reads;
            const uint32_t *dst = ret ? ip->rwdst : ip->wdst;
            if (!n)
                continue;
            uint32_t off = (uint32_t)at;
            for (uint32_t k = 0; k < n; k++) {
                const cd_probe_read *rd = &rds[k];
                uint8_t *op = s->ring + at;
                memset(op, 0, 24);
                op[0] = rd->load ? 1 : 2;
                op[1] = rd->reg >= 0 ? rec_reg(rd->reg) : rd->reg == -2 ? 0xfe : 0xff;
                memcpy(op + 4, &rd->len, 4);
                memcpy(op + 8, &dst[k], 4);
                memcpy(op + 16, &rd->off, 8);
                at += 24;
            }
            memset(s->ring + at, 0, 24); /* the end */
            at += 24;
            uint8_t *e = s->ring + H_PROBES + ip->slot * PROBE_SZ;
            if (!ret)
                memcpy(e + P_READS, &off, 4);
            else if (off < (1u << 24)) { /* the flags word's upper 24 bits (.Lret) */
                e[P_FLAGS + 1] = (uint8_t)off;
                e[P_FLAGS + 2] = (uint8_t)(off >> 8);
                e[P_FLAGS + 3] = (uint8_t)(off >> 16);
            }
        }
    }
}

static const char *inl_reads_refused(cd_trace_backend *b)
{
    return I(b)->reads_why;
}

/* The windows of an entry record of ip, or of a return record (ret) (NULL when it copied none). */
static const cd_snapshot_window *rec_windows(inl *s, const iprobe *ip, const uint8_t *r, bool ret, uint32_t *n)
{
    *n = 0;
    uint32_t nr = !ip ? 0 : ret ? ip->p.nret_reads : ip->p.nreads;
    const cd_probe_read *rds = !ip ? NULL : ret ? ip->rreads : ip->reads;
    const uint32_t *dst = !ip ? NULL : ret ? ip->rwdst : ip->wdst;
    if (!nr || s->reads_why)
        return NULL;
    if (nr > s->win_cap) {
        s->win = cd_xrealloc(s->win, nr * sizeof *s->win);
        s->win_cap = nr;
    }
    for (uint32_t k = 0; k < nr; k++) {
        const uint8_t *w = r + dst[k];
        uint64_t addr;
        uint32_t got, len;
        memcpy(&addr, w, 8);
        memcpy(&got, w + 8, 4);
        memcpy(&len, w + 12, 4);
        if (got == UINT32_MAX || len != rds[k].len)
            continue; /* not read: an earlier step of its chain failed */
        s->win[*n] = (cd_snapshot_window){.addr = addr, .len = len, .got = got > len ? len : got, .bytes = w + 16};
        (*n)++;
    }
    return s->win;
}

/* The TID's offset in glibc's struct pthread (at %fs:0), matched against every held thread: -1
 * when a thread has no TLS yet or no offset fits them all. */
static int64_t find_tid_offset(cd_target *t)
{
    enum { SPAN = 0x800 };
    int64_t found = -1;
    uint8_t buf[SPAN];
    bool cand[SPAN / 4];
    memset(cand, 1, sizeof cand);
    int nth = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        cd_regs r;
        cd_err e = {0};
        if (th->gone || !th->held || t->ops->get_regs(t, th, &r, &e) < 0)
            continue;
        if (!r.fs_base || cd_target_read_full(t, r.fs_base, buf, SPAN) < 0)
            return -1;
        for (size_t o = 0; o < SPAN; o += 4) {
            int32_t v;
            memcpy(&v, buf + o, 4);
            if (v != th->tid)
                cand[o / 4] = false;
        }
        nth++;
    }
    if (!nth)
        return -1;
    /* glibc 2.26 and later keep it at 0x2d0; otherwise the first that fits */
    if (cand[0x2d0 / 4])
        return 0x2d0;
    for (size_t o = 0x10; o < SPAN && found < 0; o += 4)
        if (cand[o / 4])
            found = (int64_t)o;
    return found;
}

/* Where cdti_compact's frame holds DWARF register r, in 8-byte slots from its rsp. */
static uint8_t frame_slot(int r)
{
    static const uint8_t slot[16] = {15, 13, 14, 6, 12, 11, 5, 0, 10, 9, 8, 7, 4, 3, 2, 1};
    return slot[r & 15];
}

/* DWARF register r of a record's registers. */
static void set_dwreg(cd_regs *g, int r, uint64_t v)
{
    switch (r) {
    case 0: g->rax = v; break;
    case 1: g->rdx = v; break;
    case 2: g->rcx = v; break;
    case 3: g->rbx = v; break;
    case 4: g->rsi = v; break;
    case 5: g->rdi = v; break;
    case 6: g->rbp = v; break;
    case 7: g->rsp = v; break;
    case 8: g->r8 = v; break;
    case 9: g->r9 = v; break;
    case 10: g->r10 = v; break;
    case 11: g->r11 = v; break;
    case 12: g->r12 = v; break;
    case 13: g->r13 = v; break;
    case 14: g->r14 = v; break;
    default: g->r15 = v; break;
    }
}

static void put32(uint8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/* A patch page entry: stub bytes [lo, hi) from the region's base stand for orig, whose rsp is
 * the thread's + sp there. */
static void pp_ent(cd_pp_entry *e, size_t *ne, uint64_t base, uint64_t lo, uint64_t hi, uint64_t orig, int sp,
                   int flags)
{
    if (*ne < CD_PP_STUB_ENTRIES && hi > lo)
        e[(*ne)++] = (cd_pp_entry){.off = (uint16_t)(lo - base), .len = (uint16_t)(hi - lo), .sp = (int16_t)sp,
                                   .kind = CD_PP_CODE, .flags = (uint8_t)flags, .orig = orig};
}

/* The stub for ip at `at` in buf: see the header comment. Its patch page entries (for the
 * unwinder) into ents (CD_PP_STUB_ENTRIES), relative to the region's base. */
static int build_stub(inl *s, iprobe *ip, uint64_t at, uint64_t entry, uint8_t *buf, size_t *len, uint64_t base,
                      cd_pp_entry *ents, size_t *nents, cd_err *err)
{
    (void)s;
    size_t n = 0;
    *nents = 0;
    pp_ent(ents, nents, base, at, at + 5, ip->patch_at, 0, 0);        /* lea -128(%rsp),%rsp */
    pp_ent(ents, nents, base, at + 5, at + 10, ip->patch_at, 128, 0); /* push $slot */
    pp_ent(ents, nents, base, at + 10, at + 15, ip->patch_at, 136, 0); /* call entry */
    pp_ent(ents, nents, base, at + 15, at + 23, ip->patch_at, 136, CD_PP_F_RETSITE); /* lea 136(%rsp),%rsp */
    static const uint8_t lea_down[] = {0x48, 0x8d, 0x64, 0x24, 0x80};                   /* lea -128(%rsp),%rsp */
    static const uint8_t lea_up[] = {0x48, 0x8d, 0xa4, 0x24, 0x88, 0x00, 0x00, 0x00}; /* lea 136(%rsp),%rsp */
    memcpy(buf + n, lea_down, sizeof lea_down);
    n += sizeof lea_down;
    buf[n++] = 0x68; /* push $slot */
    put32(buf + n, (int32_t)ip->slot);
    n += 4;
    buf[n++] = 0xE8; /* call entry */
    put32(buf + n, (int32_t)(int64_t)(entry - (at + n + 4)));
    n += 4;
    memcpy(buf + n, lea_up, sizeof lea_up);
    n += sizeof lea_up;
    /* The covered instructions, moved. A direct call among them is emulated with the original
     * return address pushed (`lea -8(%rsp),%rsp; push %rax; lea RET(%rip),%rax; mov %rax,8(%rsp);
     * pop %rax; jmp TARGET`): the callee returns into the function's own code, past the jump
     * (those bytes were left whole), not into the stub, which has no unwind information (a C++
     * exception thrown below would terminate the program; backtraces would stop at the stub).
     * The instructions after it run from the original code. */
    for (int i = 0; i < ip->head.n; i++) {
        const cd_insn *in = &ip->head.insn[i];
        if (in->kind == CD_INSN_CALL && in->has_target && !in->indirect) {
            static const uint8_t pre[] = {0x48, 0x8d, 0x64, 0x24, 0xf8, 0x50, 0x48, 0x8d, 0x05};
            if (n + 24 > STUB_MAX)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: the stub is too long", ip->func);
            /* lea -8(%rsp),%rsp; push %rax; lea; mov; pop %rax (24 bytes with the jmp): the call
             * not made yet; at the jmp, the callee's first instruction, its return address pushed */
            pp_ent(ents, nents, base, at + n, at + n + 5, in->addr, 0, 0);
            pp_ent(ents, nents, base, at + n + 5, at + n + 6, in->addr, 8, 0);
            pp_ent(ents, nents, base, at + n + 6, at + n + 19, in->addr, 16, 0);
            pp_ent(ents, nents, base, at + n + 19, at + n + 24, in->target, 0, 0);
            memcpy(buf + n, pre, sizeof pre);
            n += sizeof pre;
            int64_t d = (int64_t)(in->addr + in->len - (at + n + 4));
            int64_t j = (int64_t)(in->target - (at + n + 4 + 5 + 1 + 5));
            if (d < INT32_MIN || d > INT32_MAX || j < INT32_MIN || j > INT32_MAX)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: the trampoline is out of reach",
                                ip->func);
            put32(buf + n, (int32_t)d);
            n += 4;
            static const uint8_t post[] = {0x48, 0x89, 0x44, 0x24, 0x08, 0x58, 0xE9};
            memcpy(buf + n, post, sizeof post);
            n += sizeof post;
            put32(buf + n, (int32_t)j);
            n += 4;
            *len = n;
            return 0;
        }
        size_t k = 0;
        cd_err rerr = {0};
        if (STUB_MAX - n - 5 < CD_X86_RELOC_MAX || cd_x86_relocate(in, at + n, buf + n, STUB_MAX - n - 5, &k, &rerr) < 0)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: %s", ip->func ? ip->func : "?",
                            rerr.msg[0] ? rerr.msg : "the stub is too long");
        pp_ent(ents, nents, base, at + n, at + n + k, in->addr, 0, 0);
        n += k;
    }
    int64_t back = (int64_t)(ip->patch_at + ip->patch_len - (at + n + 5));
    if (back < INT32_MIN || back > INT32_MAX)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: %s: the trampoline is out of reach", ip->func);
    pp_ent(ents, nents, base, at + n, at + n + 5, ip->patch_at + ip->patch_len, 0, 0);
    buf[n++] = 0xE9;
    put32(buf + n, (int32_t)back);
    n += 4;
    *len = n;
    return 0;
}

static int write_patch(cd_target *t, iprobe *ip, bool on, cd_err *err)
{
    uint8_t bytes[CD_X86_HEAD_MAX];
    memcpy(bytes, ip->orig, ip->patch_len);
    if (on) {
        bytes[0] = 0xE9;
        put32(bytes + 1, (int32_t)(int64_t)(ip->stub - (ip->patch_at + 5)));
        /* the covered bytes past the jmp keep their instructions: nothing branches there, and a
         * signal frame that would return there still finds whole instructions at boundaries */
    }
    /* one write while every thread is held: no thread can see part of it */
    if (t->ops->write_mem(t, ip->patch_at, bytes, ip->patch_len, err) < 0)
        return -1;
    ip->patched = on;
    return 0;
}

static int inl_arm(cd_trace_backend *b, cd_err *err)
{
    inl *s = I(b);
    cd_target *t = b->env.t;
    if (s->armed)
        return 0;
    if (!s->nprobes) /* every probe went to another backend: nothing to inject */
        return 0;
    add_unwind_hooks(s, b);
    /* A program the caller holds (launched, stopped at main) stays held: resuming it here would
     * let it run on before the caller's hand-over (cdbg trace -- PROG sends SIGSTOP and detaches;
     * a program already running took that SIGSTOP as a ptrace stop that the detach swallowed, and
     * ran to its end unwatched: "cannot attach ... no such process", 1 run in 10 under load). */
    cd_err herr = {0};
    bool was_held = t->ops->refresh_threads(t, &herr) == 0 && t->nthreads > 0;
    for (size_t i = 0; i < t->nthreads && was_held; i++)
        if (!t->threads[i]->gone && !t->threads[i]->held)
            was_held = false;
    if (hold_safe(s, t, unsafe_to_patch, err) < 0)
        return -1;
    int rc = -1;
    /* regions and stubs */
    for (size_t i = 0; i < s->nprobes; i++) {
        iprobe *ip = &s->probes[i];
        int ri = -1;
        for (size_t k = 0; k < s->nregions && ri < 0; k++)
            if (s->regions[k].used + STUB_MAX <= REGION - CD_PP_HDR_SIZE &&
                s->regions[k].nent + CD_PP_STUB_ENTRIES <= CD_PP_CAP &&
                near(s->regions[k].base, ip->patch_at, 1ull << 30) &&
                near(s->regions[k].base + REGION, ip->patch_at, 1ull << 30))
                ri = (int)k;
        if (ri < 0 && (ri = new_region(s, t, ip->patch_at, err)) < 0)
            goto out;
        ip->region = ri;
        ip->stub = s->regions[ri].base + s->regions[ri].used;
        s->regions[ri].used += STUB_MAX;
        s->regions[ri].nent += CD_PP_STUB_ENTRIES;
    }
    if (make_ring(s, b, err) < 0)
        goto out;
    if (make_shadow(s, t, err) < 0)
        goto out;
    setup_reads(s, t);
    int64_t tidoff = find_tid_offset(t);
    uint64_t *h = (uint64_t *)s->ring;
    h[H_TIDOFF / 8] = (uint64_t)tidoff;
    for (size_t i = 0; i < s->nprobes; i++) {
        uint8_t *e = s->ring + H_PROBES + s->probes[i].slot * PROBE_SZ;
        uint64_t a = s->probes[i].p.addr;
        uint32_t n = s->probes[i].p.stack_bytes;
        memcpy(e, &a, 8);
        memcpy(e + 8, &s->probes[i].p.id, 4);
        memcpy(e + 12, &n, 4);
        e[24] = s->probes[i].p.want_return ? 1 : 0;
        memcpy(e + 28, &s->probes[i].ret_off, 4);
        e[40] = s->probes[i].nv;
        for (int k = 0; k < s->probes[i].nv; k++)
            e[41 + k] = frame_slot(s->probes[i].vreg[k]);
    }
    size_t blob = (size_t)(cdti_blob_end - cdti_blob);
    if (blob > COMMON_SPACE - 64) { /* the memfd's name sits at COMMON_SPACE - 64 */
        cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "inline: internal: the record routine (%zu bytes) outgrew its space",
                 blob);
        goto out;
    }
    uint64_t entry_off = (uint64_t)((s->compact ? cdti_compact : cdti_entry) - cdti_blob);
    for (size_t k = 0; k < s->nregions; k++) {
        uint8_t *buf = cd_xmalloc(blob);
        memcpy(buf, cdti_blob, blob);
        memcpy(buf, &s->target_ring, 8);
        memcpy(buf + 8, &s->shadow, 8);
        /* no probe copies -e reads here: the record routine does not even call .Lreads */
        bool reads = false;
        for (size_t i = 0; i < s->nprobes; i++)
            reads |= s->probes[i].p.nreads > 0;
        if (!reads || s->reads_why) {
            static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
            memcpy(buf + (cdti_readcall - cdti_blob), nop5, 5);
        }
        int w = t->ops->write_mem(t, s->regions[k].base, buf, blob, err);
        free(buf);
        if (w < 0)
            goto out;
        /* the routines in the patch page header: a thread in one is in a stub's call */
        uint64_t rbase = s->regions[k].base;
        cd_pp_entry re[3] = {
            {.off = (uint16_t)(cdti_entry_nf - cdti_blob), .len = (uint16_t)(cdti_ret - cdti_entry_nf),
             .kind = CD_PP_ROUTINE},
            {.off = (uint16_t)(cdti_ret - cdti_blob), .len = (uint16_t)(cdti_unhijack - cdti_ret),
             .kind = CD_PP_RETTRAMP},
            {.off = (uint16_t)(cdti_unhijack - cdti_blob), .len = (uint16_t)(cdti_blob_end - cdti_unhijack),
             .kind = CD_PP_ROUTINE},
        };
        if (cd_pp_add(t, rbase, re, 3, err) < 0 ||
            (s->shadow && cd_pp_set_shadow(t, rbase, s->shadow, SH_N, SH_SZ, SH_DEPTH, err) < 0))
            goto out;
        s->regions[k].written = true;
    }
    for (size_t i = 0; i < s->nprobes; i++) {
        iprobe *ip = &s->probes[i];
        uint8_t buf[STUB_MAX];
        size_t n = 0;
        uint64_t routine = ip->internal ? (uint64_t)(cdti_unhijack - cdti_blob) : entry_off;
        if (!ip->internal && !s->compact && s->lean && ip->p.at_entry)
            routine = (uint64_t)(cdti_entry_nf - cdti_blob);
        /* a lean probe whose consumer reads only some registers, in a ring of full records: its
         * own records compact (lockorder's unlocks: one cache line written instead of three) */
        ip->compact_rec = !ip->internal && !s->compact && s->lean && ip->p.regs_only && !ip->p.want_return &&
                          !ip->p.nreads && !(ip->p.reg_mask & ~0xffffu);
        if (ip->compact_rec)
            routine = (uint64_t)((ip->p.at_entry ? cdti_compact_nf : cdti_compact) - cdti_blob);
        cd_pp_entry ents[CD_PP_STUB_ENTRIES];
        size_t ne = 0;
        uint64_t rbase = s->regions[ip->region].base;
        if (build_stub(s, ip, ip->stub, rbase + routine, buf, &n, rbase, ents, &ne, err) < 0)
            goto out;
        if (t->ops->write_mem(t, ip->stub, buf, n, err) < 0 || cd_pp_add(t, rbase, ents, ne, err) < 0)
            goto out;
    }
    recalibrate(s);
    for (size_t i = 0; i < s->nprobes; i++)
        if (write_patch(t, &s->probes[i], true, err) < 0) {
            cd_err e = {0};
            for (size_t k = 0; k < i; k++)
                write_patch(t, &s->probes[k], false, &e);
            goto out;
        }
    s->armed = true;
    rc = 0;
out:;
    cd_err e = {0};
    if (!was_held && cd_target_resume(t, NULL, 0, rc < 0 ? &e : err) < 0 && rc == 0)
        rc = -1;
    return rc;
}

static bool process_ended(inl *s, pid_t pid);

static bool in_injected(inl *s, cd_target *t)
{
    for (size_t k = 0; k < s->nregions; k++)
        if (pc_in(t, s->regions[k].base, s->regions[k].base + REGION))
            return true;
    return false;
}

/* Every hijacked return address of every thread put back (threads held, none in the injected
 * code); those calls are still running, their returns come after the trace (counted apart, never
 * as lost). A slot that no longer holds its trampoline address is a dead frame's (a longjmp): not
 * written, and that return is lost. */
static void unhijack_all(inl *s, cd_target *t)
{
    for (uint64_t k = 0; k < SH_N; k++) {
        uint64_t base = s->shadow + k * SH_SZ, hdr[2];
        if (cd_target_read_full(t, base, hdr, sizeof hdr) < 0)
            return;
        if (hdr[0] == 0 || hdr[0] == UINT64_MAX)
            continue;
        for (uint64_t i = hdr[1] > SH_DEPTH ? SH_DEPTH : hdr[1]; i-- > 0;) {
            uint64_t ent[4], cur = 0;
            cd_err e = {0};
            if (cd_target_read_full(t, base + 32 + i * 32, ent, sizeof ent) < 0)
                continue;
            uint32_t slot = (uint32_t)ent[2];
            if (cd_target_read_full(t, ent[0], &cur, 8) == 0 && cur == ent[3]) {
                t->ops->write_mem(t, ent[0], &ent[1], 8, &e);
                if (slot < s->nprobes)
                    s->probes[slot].running++;
            } else if (slot < s->nprobes) {
                __atomic_fetch_add((uint64_t *)(s->ring + H_PROBES + slot * PROBE_SZ + P_LOSTRET), 1, __ATOMIC_RELEASE);
            }
        }
        uint64_t freed[2] = {UINT64_MAX, 0};
        cd_err e = {0};
        t->ops->write_mem(t, base, freed, sizeof freed, &e);
    }
}

static int inl_disarm(cd_trace_backend *b, cd_err *err)
{
    inl *s = I(b);
    cd_target *t = b->env.t;
    if (!s->armed || s->disarmed || process_ended(s, s->pid))
        return 0;
    if (hold_safe(s, t, patched_unsafe, err) < 0)
        return -1;
    (void)unsafe_to_unpatch;
    int rc = 0;
    for (size_t i = 0; i < s->nprobes; i++)
        if (s->probes[i].patched && write_patch(t, &s->probes[i], false, err) < 0)
            rc = -1;
    s->disarmed = rc == 0;
    cd_err e = {0};
    if (cd_target_resume(t, NULL, 0, rc < 0 ? &e : err) < 0)
        rc = -1;
    /* --ret: the calls still in flight get their real return addresses back, with every thread
     * held outside the injected code (none between two steps of a hijack or of a return): after
     * the detach nothing returns through the trampoline, a C++ exception meets no trampoline
     * address (the unwinder hooks are gone), and debuggers see whole stacks. Where the threads
     * never leave it (bounded), the hijacks stay and the trampoline serves them, as after a
     * SIGKILL. */
    if (rc == 0 && s->shadow) {
        cd_err e2 = {0};
        if (hold_safe(s, t, in_injected, &e2) == 0) {
            unhijack_all(s, t);
            cd_target_resume(t, NULL, 0, &e2);
        }
    }
    return rc;
}

/* ---- reading ---- */

/* From /proc alone: the target's own check_alive would reap the exit status of a child that the
 * caller (cdbg trace -- PROG, its parent) waits for, and a zombie is an ended process here. */
static bool process_ended(inl *s, pid_t pid)
{
    if (s->ended)
        return true;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return s->ended = true;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return s->ended = true;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (p && (p[2] == 'Z' || p[2] == 'X'))
        return s->ended = true;
    return false;
}

/* Returns that will never be recorded (--ret): calls a longjmp left, calls not hijacked because
 * their thread's shadow stack was full. Said where it was noticed, per probe. */
static int emit_lostret(inl *s, cd_trace_sink sink, void *arg, int *delivered)
{
    for (size_t i = 0; i < s->nprobes; i++) {
        iprobe *ip = &s->probes[i];
        if (!ip->p.want_return)
            continue;
        uint64_t d = __atomic_load_n((uint64_t *)(s->ring + H_PROBES + ip->slot * PROBE_SZ + P_LOSTRET),
                                     __ATOMIC_ACQUIRE);
        cd_trace_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = CD_REC_DROPPED;
        rec.probe = ip->p.id;
        rec.ts_ns = mono_ns();
        if (d != ip->lostret_seen) {
            rec.why = CD_DROP_RETURNS;
            rec.dropped = d - ip->lostret_seen;
            ip->lostret_seen = d;
            (*delivered)++;
            int r = sink(arg, &rec);
            if (r != 0)
                return r;
        }
        if (ip->running != ip->running_seen) {
            rec.why = CD_DROP_RUNNING;
            rec.dropped = ip->running - ip->running_seen;
            ip->running_seen = ip->running;
            (*delivered)++;
            int r = sink(arg, &rec);
            if (r != 0)
                return r;
        }
    }
    return 0;
}

static int emit_drops(inl *s, cd_trace_sink sink, void *arg, int *delivered)
{
    if (!s->ring)
        return 0;
    int lr = emit_lostret(s, sink, arg, delivered);
    if (lr != 0)
        return lr;
    uint64_t total = __atomic_load_n((uint64_t *)(s->ring + H_DROPS), __ATOMIC_ACQUIRE);
    if (total == s->drops_seen)
        return 0;
    s->drops_seen = total;
    for (size_t i = 0; i < s->nprobes; i++) {
        iprobe *ip = &s->probes[i];
        uint64_t d = __atomic_load_n((uint64_t *)(s->ring + H_PROBES + ip->slot * PROBE_SZ + 16), __ATOMIC_ACQUIRE);
        if (d == ip->drops_seen)
            continue;
        cd_trace_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = CD_REC_DROPPED;
        rec.probe = ip->p.id;
        rec.ts_ns = mono_ns();
        rec.dropped = d - ip->drops_seen;
        ip->drops_seen = d;
        (*delivered)++;
        int r = sink(arg, &rec);
        if (r != 0)
            return r;
    }
    return 0;
}

static iprobe *by_slot(inl *s, uint32_t slot)
{
    return slot < s->nprobes ? &s->probes[slot] : NULL;
}

/* the work one drain does before it returns to the poll's caller (see the end of its loop) */
#define DRAIN_BUDGET_NS 50000000ull

/* Hands every published record to sink: 1 when the sink asked to stop, -1 on its error. */
static int drain(inl *s, cd_trace_sink sink, void *arg, int *delivered)
{
    uint64_t *tailp = (uint64_t *)(s->ring + H_TAIL);
    uint64_t mask = s->cap - 1;
    uint8_t *data = s->ring + ((uint64_t *)s->ring)[H_DATA / 8];
    int rc = 0;
    uint64_t n = 0;
    /* kept from one record to the next: a compact record sets its probe's registers (and the rest
     * is cleared only when the probe changes: a memset per record was a fifth of the drain) */
    cd_trace_rec rec;
    const iprobe *last = NULL;
    uint64_t t0 = cd_now_ns();
    for (;;) {
        uint8_t *r = data + (s->tail & mask) * s->rec_size;
        __builtin_prefetch(r + 4 * s->rec_size);
        uint64_t seq = __atomic_load_n((uint64_t *)(r + R_SEQ), __ATOMIC_ACQUIRE);
        if (seq != s->tail + 1) {
            uint64_t head = __atomic_load_n((uint64_t *)(s->ring + H_HEAD), __ATOMIC_ACQUIRE);
            if (head == s->tail)
                break;
            /* claimed, not yet published: its writer is between two instructions of the record
             * routine. A writer that can never finish (its process ended, or it was killed mid-way
             * for seconds) loses its record, reported as a drop. */
            uint64_t now = cd_now_ns();
            if (!s->stuck_since_ns)
                s->stuck_since_ns = now;
            bool dead = s->ended || process_ended(s, s->pid);
            if (!dead && now - s->stuck_since_ns < 2000000000ull)
                break;
            cd_trace_rec rec;
            memset(&rec, 0, sizeof rec);
            last = NULL;
            rec.kind = CD_REC_DROPPED;
            rec.probe = UINT32_MAX;
            rec.ts_ns = mono_ns();
            rec.dropped = 1;
            s->tail++;
            n++;
            s->stuck_since_ns = 0;
            (*delivered)++;
            if ((rc = sink(arg, &rec)) != 0)
                break;
            continue;
        }
        s->stuck_since_ns = 0;
        uint32_t slot, tid;
        memcpy(&slot, r + R_SLOT, 4);
        memcpy(&tid, r + R_TID, 4);
        bool ret = slot & 0x80000000u;
        slot &= 0x7fffffffu;
        iprobe *ip = by_slot(s, slot);
        /* every field is set below: no memset of the ~450-byte record per hit */
        rec.kind = ret ? CD_REC_RETURN : CD_REC_ENTRY;
        rec.dropped = 0;
        rec.probe = ip ? ip->p.id : slot;
        rec.tid = (pid_t)tid;
        uint64_t tsc;
        memcpy(&tsc, r + R_TSC, 8);
        rec.ts_ns = tsc_to_ns(s, tsc);
        if (s->compact || (ip && ip->compact_rec && !ret)) {
            /* the header and the probe's registers: the rest of the record is zero, said by partial */
            if (ip != last || !ip) {
                memset(&rec.regs, 0, sizeof rec.regs);
                rec.regs.orig_rax = (uint64_t)-1;
                rec.regs.cs = 0x33;
                rec.regs.ss = 0x2b;
                rec.regs.rip = ip ? ip->p.addr : 0;
                last = ip;
            }
            for (int k = 0; ip && k < ip->nv; k++) {
                uint64_t v;
                memcpy(&v, r + R_TSC + 8 + 8 * k, 8);
                set_dwreg(&rec.regs, ip->vreg[k], v);
            }
            rec.partial = true;
            rec.has_fp = false;
            rec.stack_addr = rec.regs.rsp;
            rec.stack = NULL;
            rec.stack_len = 0;
            rec.win = NULL;
            rec.nwin = 0;
            goto deliver;
        }
        rec.partial = false;
        last = NULL; /* every register set here: a compact record after it clears them again */
        uint64_t g[18];
        memcpy(g, r + R_REGS, sizeof g);
        cd_regs *R = &rec.regs;
        R->r15 = g[0], R->r14 = g[1], R->r13 = g[2], R->r12 = g[3], R->rbp = g[4], R->rbx = g[5];
        R->r11 = g[6], R->r10 = g[7], R->r9 = g[8], R->r8 = g[9], R->rax = g[10], R->rcx = g[11];
        R->rdx = g[12], R->rsi = g[13], R->rdi = g[14], R->rip = g[15], R->eflags = g[16], R->rsp = g[17];
        R->orig_rax = (uint64_t)-1;
        R->cs = 0x33;
        R->ss = 0x2b;
        R->fs_base = R->gs_base = R->ds = R->es = R->fs = R->gs = 0;
        rec.has_fp = !s->lean;
        if (!s->lean)
            memcpy(rec.xmm, r + R_XMM, sizeof rec.xmm);
        uint32_t sn;
        memcpy(&sn, r + R_STACKN, 4);
        if (sn > s->rec_size - s->stack_off)
            sn = 0;
        rec.stack_addr = R->rsp;
        rec.stack = r + s->stack_off;
        rec.stack_len = sn;
        rec.win = rec_windows(s, ip, r, ret, &rec.nwin);
        if (!rec.win)
            rec.nwin = 0;
    deliver:
        if (ip && !ret)
            ip->hits++;
        (*delivered)++;
        rc = sink(arg, &rec);
        s->tail++;
        /* give the slots back in batches: every store to the tail's cache line costs the writers */
        if ((++n & 255) == 0)
            __atomic_store_n(tailp, s->tail, __ATOMIC_RELEASE);
        if (rc != 0)
            break;
        /* a program that writes faster than the sink reads would keep one poll here forever: the
         * caller must get to check its clock (--duration), its ^C and its live flush. Bounded by
         * time, not by a count: a sink that evaluates --if per record takes tens of µs each (a
         * cap of 65,536 records was seconds), a plain one tens of ns. The clock is read once per
         * 64 records; what is left stays in the ring, in order, for the next poll. */
        if ((n & 63) == 0 && cd_now_ns() - t0 >= DRAIN_BUDGET_NS)
            break;
    }
    __atomic_store_n(tailp, s->tail, __ATOMIC_RELEASE);
    if (rc == 0)
        rc = emit_drops(s, sink, arg, delivered);
    return rc < 0 ? -1 : rc;
}

static int inl_poll(cd_trace_backend *b, int timeout_ms, cd_trace_sink sink, void *arg, cd_err *err)
{
    inl *s = I(b);
    cd_target *t = b->env.t;
    if (!s->ring) { /* nothing armed here (every probe went to another backend) */
        if (process_ended(s, s->pid))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "inline: process %d has ended", (int)t->pid);
        int ms = timeout_ms < 0 || timeout_ms > 10 ? 10 : timeout_ms;
        struct timespec ts = {0, ms * 1000000L};
        nanosleep(&ts, NULL);
        return 0;
    }
    /* a fresh calibration point every 50 ms or so: a poll that returns a handful of records must
     * not pay the ~10 clock reads each time */
    if ((double)(__rdtsc() - s->tsc_ref) * s->scale > 50e6)
        recalibrate(s);
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : cd_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    long sleep_ns = 50000;
    /* env.batch: nothing is read before half the ring is filled or the timeout: a reader draining
     * as records come competes for the CPUs with the threads writing them (on 2 vCPUs it preempts
     * lock holders) and reads each record's lines while they are still hot in the writer's cache.
     * Checked every millisecond while records come (the fastest writers fill about an eighth of
     * the default ring in that time), backing off to 4 ms while none do (an idle program). */
    long batch_ns = 1000000;
    uint64_t seen = UINT64_MAX;
    while (b->env.batch && !s->ended) {
        uint64_t head = __atomic_load_n((uint64_t *)(s->ring + H_HEAD), __ATOMIC_ACQUIRE);
        uint64_t now = cd_now_ns();
        if (head - s->tail >= s->cap / 2 || now >= deadline)
            break;
        if (now - s->last_alive_ns > 20000000ull) {
            s->last_alive_ns = now;
            if (process_ended(s, s->pid))
                break;
        }
        batch_ns = head != seen ? 1000000 : batch_ns < 4000000 ? batch_ns * 2 : batch_ns;
        seen = head;
        struct timespec ts = {0, (long)(deadline - now < (uint64_t)batch_ns ? deadline - now : (uint64_t)batch_ns)};
        nanosleep(&ts, NULL);
    }
    for (;;) {
        int delivered = 0;
        int r = drain(s, sink, arg, &delivered);
        if (r < 0)
            return cd_fail(err, CD_EXIT_CMD, "inline: the trace consumer failed");
        if (delivered > 0 || r > 0)
            return delivered;
        if (s->ended) {
            return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "inline: process %d has ended", (int)t->pid);
        }
        uint64_t now = cd_now_ns();
        if (now - s->last_alive_ns > 20000000ull) {
            s->last_alive_ns = now;
            if (process_ended(s, s->pid))
                continue; /* one more drain: what it wrote before it ended */
        }
        if (now >= deadline)
            return 0;
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        if (sleep_ns < 2000000)
            sleep_ns *= 2;
    }
}

static void inl_counts(cd_trace_backend *b, uint32_t id, uint64_t *hits, uint64_t *dropped)
{
    inl *s = I(b);
    *hits = 0;
    *dropped = 0;
    for (size_t i = 0; i < s->nprobes; i++)
        if (s->probes[i].p.id == id) {
            uint64_t lost = s->ring ? __atomic_load_n((uint64_t *)(s->ring + H_PROBES + s->probes[i].slot * PROBE_SZ + 16),
                                                      __ATOMIC_ACQUIRE)
                                    : 0;
            *hits += s->probes[i].hits + lost; /* every hit, recorded or lost (backend.h) */
            *dropped += lost;
        }
}

/* Unpatching from a signal handler would mean holding every thread of a process we may not be
 * tracing any more (non-stop), with raw ptrace and waitpid and no bookkeeping: the patches are left
 * instead. They are harmless without cdbg: the stubs record into a ring that nobody drains, and
 * once it is full they only count drops. */
static void inl_emergency(cd_trace_backend *b)
{
    (void)b;
}

static void inl_free(cd_trace_backend *b)
{
    if (!b)
        return;
    inl *s = I(b);
    if (s) {
        if (s->ring)
            munmap(s->ring, s->ring_size);
        if (s->fd >= 0)
            close(s->fd);
        for (size_t i = 0; i < s->nprobes; i++) {
            free(s->probes[i].func);
            free(s->probes[i].module);
            free(s->probes[i].reads);
            free(s->probes[i].wdst);
            free(s->probes[i].rreads);
            free(s->probes[i].rwdst);
        }
        free(s->win);
        free(s->probes);
        free(s->regions);
        cd_x86_free(s->x86);
        free(s);
    }
    free(b);
}

static const cd_trace_backend_ops inl_ops = {
    .name = "inline",
    .check = inl_check,
    .add = inl_add,
    .arm = inl_arm,
    .poll = inl_poll,
    .disarm = inl_disarm,
    .counts = inl_counts,
    .emergency = inl_emergency,
    .free = inl_free,
    .reads_refused = inl_reads_refused,
};

cd_trace_backend *cd_tb_inline_new(const cd_trace_env *env, cd_err *err)
{
    if (!env->t || !env->t->caps.can_run || !env->t->caps.can_write) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "inline: the target cannot run or be written (a core?)");
        return NULL;
    }
    cd_x86 *x = cd_x86_new(err);
    if (!x)
        return NULL;
    cd_trace_backend *b = cd_xcalloc(1, sizeof *b);
    inl *s = cd_xcalloc(1, sizeof *s);
    s->x86 = x;
    s->fd = -1;
    s->pid = env->pid ? env->pid : env->t->pid;
    b->ops = &inl_ops;
    b->env = *env;
    b->priv = s;
    tsc_pair(&s->tsc0, &s->mono0);
    /* a first scale from 10 ms, refined at every poll from the first point */
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
    uint64_t t1, m1;
    tsc_pair(&t1, &m1);
    s->scale = (double)(m1 - s->mono0) / (double)(t1 - s->tsc0);
    s->tsc_ref = t1;
    s->mono_ref = m1;
    return b;
}
