// Exceptions and longjmp through traced calls (--ret): thrower throws for odd x, mid calls it,
// loop_mid (assembly: a loop back to its first bytes, which the inline backend cannot patch, then
// a tail call of mid) is what main calls. The program's output and exit status must not change.
// At -O2 gcc moves the throw into a fragment, thrower(int) [clone .cold]: not an entry.
#include <cstdio>
#include <setjmp.h>
#include <stdexcept>
static jmp_buf jb;
__attribute__((noinline)) int thrower(int x)
{
    asm volatile("nop;nop;nop;nop;nop" ::: "memory");
    if (x % 2)
        throw std::runtime_error("odd");
    return x;
}
extern "C" __attribute__((noinline)) int mid(int x)
{
    asm volatile("nop;nop;nop;nop;nop" ::: "memory");
    return thrower(x) + 1;
}
extern "C" int loop_mid(int x);
asm(R"(
    .text
    .globl loop_mid
    .type loop_mid, @function
loop_mid:
    .cfi_startproc
0:  movl %edi, %eax
    cmpl $100, %eax
    jle 1f
    subl $3, %edi
    jmp 0b
1:  jmp mid
    .cfi_endproc
    .size loop_mid, .-loop_mid
)");
extern "C" __attribute__((noinline)) void jumper(int x)
{
    asm volatile("nop;nop;nop;nop;nop" ::: "memory");
    if (x)
        longjmp(jb, x);
}
int main()
{
    static long s; /* static: kept across the longjmps at -O2 */
    for (int i = 0; i < 6; i++) {
        try {
            s += loop_mid(i);
        } catch (const std::exception &e) {
            s += 100;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (setjmp(jb) == 0)
            jumper(i + 1);
        else
            s += 1000;
    }
    std::printf("s=%ld\n", s);
    return 3;
}
