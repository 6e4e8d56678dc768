// C++ functions the debugger calls (tests/integration/infcall/): free functions in a namespace,
// an overload-free function taking a reference, a struct returned by value.
#include <cstdio>

namespace shop {
struct Price {
    long cents;
    int currency;
};
__attribute__((noinline)) long total(long a, long b) { return a + b; }
__attribute__((noinline)) double ratio(int a, int b) { return double(a) / b; }
__attribute__((noinline)) Price make_price(long c) { return Price{c, 978}; }
__attribute__((noinline)) int bump_ref(int &x) { return ++x; }
} // namespace shop

int g_val = 41;

__attribute__((noinline)) int run(int n)
{
    long t = shop::total(n, 2);
    return int(t); // the tests stop here
}

int main()
{
    std::printf("run %d %ld\n", run(3), shop::make_price(5).cents);
    return 0;
}
