// C++ leaks for `cdbg leaks`: `new` reaches libc's malloc through operator new (libstdc++), so the
// allocator frames skipped are malloc's and operator new's. leak_new() keeps one `new int[25]`
// (100 bytes) and leak_obj() one Node (48 bytes); the vector and string churn is freed.
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

struct Node {
    long v[6];
};

static int *volatile kept_arr;
static Node *volatile kept_obj;

__attribute__((noinline)) static void leak_new()
{
    kept_arr = new int[25]; // LEAK_NEW
}

__attribute__((noinline)) static void leak_obj()
{
    kept_obj = new Node(); // LEAK_OBJ
}

__attribute__((noinline)) static void churn()
{
    for (int i = 0; i < 200; i++) {
        std::vector<int> v;
        for (int k = 0; k < 50; k++)
            v.push_back(k);
        std::string s(100 + i, 'x');
        Node *n = new Node();
        n->v[0] = (long)v.size() + (long)s.size();
        delete n;
    }
}

int main()
{
    churn();
    leak_new();
    leak_obj();
    const char *m = "leakxx: ok\n";
    if (write(1, m, strlen(m)) < 0)
        return 1;
    return 0;
}
