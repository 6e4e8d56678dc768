/* Functions whose first instruction the ptrace backend cannot emulate, so that it runs it out of
 * line (a relocated copy, then a jmp back): a sign extension, an SSE move, a compare whose flags the
 * next instruction uses, a compare with a rip-relative operand (the copy must still name `limit`). Four
 * threads call them at once (one copy shared by every thread). Prints what they computed: the
 * same with and without the trace. */
#include <pthread.h>
#include <stdio.h>

int f_movsx(int x);
double f_movapd(double x);
int f_cmp(int x);
int f_ripcmp(int x);
__asm__(".text\n"
        ".globl f_movsx\n.type f_movsx, @function\nf_movsx:\n.cfi_startproc\n"
        "    movsbl %dil, %eax\n    addl $1, %eax\n    ret\n.cfi_endproc\n.size f_movsx, .-f_movsx\n"
        ".globl f_movapd\n.type f_movapd, @function\nf_movapd:\n.cfi_startproc\n"
        "    movapd %xmm0, %xmm1\n    addsd half(%rip), %xmm1\n    movapd %xmm1, %xmm0\n    ret\n"
        ".cfi_endproc\n.size f_movapd, .-f_movapd\n"
        ".globl f_ripcmp\n.type f_ripcmp, @function\nf_ripcmp:\n.cfi_startproc\n"
        "    cmpl %edi, limit(%rip)\n    jg 1f\n    movl $7, %eax\n    ret\n1:  movl $3, %eax\n    ret\n"
        ".cfi_endproc\n.size f_ripcmp, .-f_ripcmp\n"
        ".globl f_cmp\n.type f_cmp, @function\nf_cmp:\n.cfi_startproc\n"
        "    cmpl $100, %edi\n    jle 1f\n    movl $1, %eax\n    ret\n1:  xorl %eax, %eax\n    ret\n"
        ".cfi_endproc\n.size f_cmp, .-f_cmp\n"
        ".section .rodata\n.balign 16\nhalf: .double 0.5, 0.0\nlimit: .long 120\n.text\n");

static void *run(void *arg)
{
    long k = (long)arg, s = 0;
    double d = 0;
    for (int i = 0; i < 50; i++) {
        s += f_movsx((int)(k * 1000 + i * 7)) + f_cmp((int)(i * 5)) + f_ripcmp((int)(i * 5));
        d += f_movapd((double)i);
    }
    return (void *)(s + (long)(d * 2));
}

int main(void)
{
    pthread_t t[4];
    for (long k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, run, (void *)k);
    long total = 0;
    for (int k = 0; k < 4; k++) {
        void *r;
        pthread_join(t[k], &r);
        total += (long)r;
    }
    printf("total=%ld\n", total);
    return 0;
}
