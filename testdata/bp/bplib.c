/* The library testdata/bp/dlmain.c loads with dlopen: a breakpoint on lib_add is set before the
 * library exists in the process (pending) and must be hit with the right arguments. */
__attribute__((noipa)) int lib_add(int a, int b)
{
    return a + b; /* @lib_add */
}
