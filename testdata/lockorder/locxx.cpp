// std::mutex through std::lock_guard, built with clang++ -O2 (tests/integration/lockorder/lockorder.sh):
// std::mutex::lock and __gthread_mutex_lock are inlined at the program's line, which the report
// must name (not libstdc++'s gthr-default.h).
#include <cstdio>
#include <mutex>
#include <thread>

std::mutex mA, mB;

__attribute__((noinline)) void inv1()
{
    std::lock_guard<std::mutex> a(mA); // HELD_A1
    std::lock_guard<std::mutex> b(mB); // EDGE_AB
}

__attribute__((noinline)) void inv2()
{
    std::lock_guard<std::mutex> b(mB); // HELD_B2
    std::lock_guard<std::mutex> a(mA); // EDGE_BA
}

int main()
{
    std::thread t1(inv1);
    t1.join();
    std::thread t2(inv2);
    t2.join();
    std::puts("done");
    return 0;
}
