// C++ scopes (issue 13): `::level` is the global even where a member, a namespace variable or a local
// of that name hides it; a function defined in a namespace keeps its parameters and its namespace's
// names with clang++, which nests its DIE in the DW_TAG_namespace.
// tests/integration/values/values_globalscope.sh.
#include <cstdio>
__attribute__((noinline)) void scope_stop(void) { asm volatile("" ::: "memory"); }
int level = 1;
namespace outer {
int level = 2;
namespace inner {
int level = 3;
struct K {
    int level = 4;
    __attribute__((noinline)) int get()
    {
        scope_stop();
        return level * 10 + ::level + outer::level;
    }
};
__attribute__((noinline)) int free_fn(int k)
{
    scope_stop();
    return level + k;
}
} // namespace inner
__attribute__((noinline)) int ofn(int k)
{
    volatile int level = 5;
    scope_stop();
    return level + k;
}
} // namespace outer
int main()
{
    outer::inner::K k;
    int r = k.get();
    r += outer::inner::free_fn(2);
    r += outer::ofn(7);
    std::printf("%d\n", r);
}
