/* A program that ends at once: main calls once(7) and returns. `cdbg trace -- quick` must still
 * log the call with its argument: across the hand-over from the launch (ptrace, at main) to the
 * non-stop view, the program is held, or it ends before the view has it (tests/integration/trace/
 * handover.sh). */
__attribute__((noinline)) int once(int x)
{
    return x + 1;
}

int main(void)
{
    return once(7) - 8;
}
