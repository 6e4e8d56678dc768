/* gcore's AVX test program: the main thread loads known values into ymm0/ymm1 (and k0..k1 with
 * AVX-512), prints "ready" and blocks in a raw `pause` system call in the same asm statement, so no
 * libc code runs after the load to clobber them. A test compares what gdb reads from the live
 * thread with what it reads from a core of it. */
#include <stdio.h>
#include <cpuid.h>
#include <unistd.h>
#include <sys/syscall.h>

static int has_avx512f(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    return (b >> 16) & 1;
}

int main(void)
{
    static const int v0[8] = {11, 22, 33, 44, 55, 66, 77, 88};
    static const int v1[8] = {-1, -2, -3, -4, -5, -6, -7, -8};
    int avx512 = has_avx512f();
    printf("avx512=%d\nready\n", avx512);
    fflush(stdout);
    if (avx512) {
        unsigned long long k0 = 0x5a5a, k1 = 0x1234;
        __asm__ volatile("vmovdqu (%0), %%ymm0\n\t"
                         "vmovdqu (%1), %%ymm1\n\t"
                         ".byte 0xc4, 0xe1, 0xfb, 0x92, 0xc2\n\t" /* kmovq %rdx, %k0 */
                         ".byte 0xc4, 0xe1, 0xfb, 0x92, 0xc9\n\t" /* kmovq %rcx, %k1 */
                         "1: mov %2, %%eax\n\t"
                         "syscall\n\t"
                         "jmp 1b"
                         :
                         : "r"(v0), "r"(v1), "i"(SYS_pause), "d"(k0), "c"(k1)
                         : "rax", "r11", "memory");
    }
    __asm__ volatile("vmovdqu (%0), %%ymm0\n\t"
                     "vmovdqu (%1), %%ymm1\n\t"
                     "1: mov %2, %%eax\n\t"
                     "syscall\n\t"
                     "jmp 1b"
                     :
                     : "r"(v0), "r"(v1), "i"(SYS_pause)
                     : "rax", "rcx", "r11", "memory");
    return 0;
}
