/* The standard library's types as gdb's libstdc++ printers show them (tests/integration/values/
 * values_cxxstl.sh). The program stops in stl_stop(), called from show(const std::string &). */
#include <cstdio>
#include <string>

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

int main()
{
    std::string s = "hello";
    int r = show(s, g_name);
    printf("%d %s\n", r, s.c_str());
    return 0;
}
