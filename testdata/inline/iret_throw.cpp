// C++ exceptions through calls traced with --ret by the inline backend
// (tests/integration/trace_inline/iret.sh): `iret_throw K` calls catcher(i) for i = 0..K-1;
// catcher calls f(i), f calls g(i), g throws when i is odd; catcher catches and returns -1.
// The unwinder must see real return addresses in f's and catcher's frames, not the return
// trampoline (it has no unwind information: the program would terminate). Prints
// "caught=C sum=S".
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

volatile int sink;

__attribute__((noinline)) int g(int x)
{
    if (x % 2)
        throw std::runtime_error("odd");
    sink = x;
    return x * 10;
}

__attribute__((noinline)) int f(int x)
{
    int r = g(x);
    sink = r;
    return r + 1;
}

static int caught;
__attribute__((noinline)) int catcher(int x)
{
    try {
        return f(x);
    } catch (const std::exception &) {
        caught++;
        return -1;
    }
}

int main(int argc, char **argv)
{
    int k = argc > 1 ? atoi(argv[1]) : 4;
    long sum = 0;
    for (int i = 0; i < k; i++)
        sum += catcher(i);
    std::printf("caught=%d sum=%ld\n", caught, sum);
    return 0;
}
