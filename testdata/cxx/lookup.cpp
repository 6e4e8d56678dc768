/* Unqualified names in C++ (issue 13, tests/integration/values/values_cxxlookup.sh): inside a member
 * function a name means the member (`id`, `name`, an inherited `base_id`, static members), then the
 * function's namespace (`limit` is shop::limit), then file scope; a library's names (lookup_other:
 * an extern function `id`, an extern `limit`, statics `name` and `g_count`) only after the
 * program's. The program stops in the library's other_stop(), called from Store::run. */
#include <cstdio>

extern "C" int id(void);
extern "C" int other_stop(int);
extern "C" int limit;
int g_count = 7;

namespace shop {
int limit = 30;

struct Base {
    int base_id = 11;
    static int instances;
};
int Base::instances = 2;

class Store : public Base {
public:
    Store(int i, const char *n) : id(i), name(n) {}
    int run();
    static int total;

private:
    int id;
    const char *name;
};
int Store::total = 99;

int Store::run()
{
    int local = id * 2;
    return other_stop(local + limit + base_id + instances + total + (name[0] == 's'));
}
} // namespace shop

int main()
{
    shop::Store s(5, "store-five");
    int r = s.run();
    printf("%d %d %d\n", r, limit + id(), g_count);
    return 0;
}
