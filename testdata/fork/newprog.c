/* The program forks.c execs (tests/integration/fork/): new_work exists only here, so a breakpoint
 * on it can only resolve after the exec. Exits 3 when it ran as expected (one argument). */
static volatile int sink;

__attribute__((noinline)) int new_work(int x)
{
    sink = x;
    return x * 3;
}

int main(int argc, char **argv)
{
    (void)argv;
    return new_work(argc) == 6 ? 3 : 4;
}
