/* A function in a shared library (libtrace.so), called by libmain. */
__attribute__((noinline)) int lib_fn(int v)
{
    __asm__ volatile("" ::: "memory");
    return v + 100;
}
