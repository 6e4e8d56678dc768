// C++ functions for the trace test of names: a method in a namespace, an overloaded free function
// and a template, each traced by its demangled name and shown demangled (never "_ZN4shop...").
#include <cstdio>

namespace shop {
struct Cart {
    int n = 0;
    __attribute__((noinline)) int add(int k)
    {
        n += k;
        return n;
    }
};
} // namespace shop

__attribute__((noinline)) int twice(int x) { return x * 2; }
__attribute__((noinline)) double twice(double x) { return x * 2; }
template <typename T> __attribute__((noinline)) T largest(T a, T b) { return a > b ? a : b; }

int main()
{
    shop::Cart c;
    double d = 0;
    int s = 0;
    for (int i = 0; i < 3; i++) {
        s += twice(i) + c.add(i) + largest(i, 1);
        d += twice(0.5 * i);
    }
    std::printf("%d %g\n", s, d);
    return 0;
}
