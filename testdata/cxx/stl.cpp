/* The standard library's types as gdb's libstdc++ printers show them (tests/integration/values/
 * values_cxxstl.sh). The program stops in stl_stop(), called from show(const std::string &), then
 * from containers(). */
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" __attribute__((noinline)) int stl_stop(int v)
{
    __asm__ volatile("" ::: "memory");
    return v + 1;
}

static std::string g_name = "global name, longer than the fifteen bytes held inline";

__attribute__((noinline)) static int show(const std::string &who, std::string copy)
{
    std::string empty;
    std::string with_nul("a\0b", 3);
    std::string quote = "say \"hi\"\n";
    return stl_stop((int)(who.size() + copy.size() + empty.size() + with_nul.size() + quote.size()));
}

__attribute__((noinline)) static int containers()
{
    std::vector<int> v = {1, 2, 3};
    v.reserve(8); // spare capacity: length and capacity differ
    std::vector<std::string> vs = {"a", "bb"};
    std::vector<int> ve;
    std::map<std::string, int> m = {{"one", 1}, {"two", 2}, {"three", 3}};
    std::set<int> st = {50, 10, 40, 20, 30, 70, 60}; // deep enough that a successor is a leftmost descent
    std::map<int, int> me;
    std::unordered_map<int, int> um = {{1, 10}, {2, 20}};
    std::unique_ptr<int> up(new int(7));
    std::unique_ptr<int> upn;
    std::shared_ptr<int> sp = std::make_shared<int>(9);
    std::shared_ptr<int> sp2 = sp;
    std::weak_ptr<int> wp = sp;
    std::shared_ptr<int> spn;
    std::atomic<int> at{4};
    std::atomic<long> atl{-5};
    std::optional<int> op = 5;
    std::optional<int> opn;
    std::optional<std::string> ops = std::string("opt");
    std::mutex mu;
    std::lock_guard<std::mutex> held(mu);
    return stl_stop((int)(v.size() + vs.size() + ve.size() + m.size() + st.size() + me.size() + um.size() + *up +
                          (upn ? 1 : 0) + *sp + sp2.use_count() + wp.use_count() + (spn ? 1 : 0) + at.load() +
                          atl.load() + *op + opn.value_or(0) + ops->size()));
}

int main()
{
    std::string s = "hello";
    int r = show(s, g_name) + containers();
    printf("%d %s\n", r, s.c_str());
    return 0;
}
