// std::unordered_map/set whose node value is 16 bytes or more (issue 13): the value sits after the
// node's next pointer at the value type's alignment, 8 for pair<const std::string, int> (40 bytes)
// and 16 only for an over-aligned type. tests/integration/values/values_hashalign.sh.
#include <cstdio>
#include <string>
#include <unordered_map>
#include <unordered_set>
struct alignas(16) A16 {
    long a;
};
struct Pair24 {
    long x, y, z;
};
__attribute__((noinline)) void hash_stop(void) { asm volatile("" ::: "memory"); }
int main()
{
    std::unordered_map<int, int> a{{1, 2}};
    std::unordered_map<std::string, int> b{{"key", 3}};
    std::unordered_set<std::string> c{"s1"};
    std::unordered_map<int, A16> d{{4, {5}}};
    std::unordered_map<long, Pair24> e{{6, {7, 8, 9}}};
    std::unordered_set<long double> f{2.5L};
    hash_stop();
    std::printf("%zu\n", a.size() + b.size() + c.size() + d.size() + e.size() + f.size());
    return 0;
}
