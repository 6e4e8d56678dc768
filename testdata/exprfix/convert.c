/* clang -O2 describes a _Bool argument with DW_OP_convert (issue 13: cdbg printed `<error:
 * unsupported DWARF location operation 0xa8>`; gdb `true`). tests/integration/values/values_convert.sh. */
#include <stdio.h>
__attribute__((noinline)) int f_bool(int n, _Bool b, signed char c)
{
    __asm__ volatile("" ::: "memory");
    return n + b + c;
}
int main(int argc, char **argv)
{
    (void)argv;
    printf("%d\n", f_bool(argc, argc > 0, (signed char)(argc - 3)) + f_bool(2, argc > 5, (signed char)(argc * 9)));
    return 0;
}
