/* A shared library for testdata/debuginfod/dbgi.c -DLIB: a second module on the stack whose debug
 * info only a server could have. */
int lib_call(int (*fn)(int), int arg);

int lib_call(int (*fn)(int), int arg)
{
    int r = fn(arg);
    return r + 1; /* not a tail call: this frame stays on the stack */
}
