/* std::mutex and std::recursive_mutex with their owners (tests/integration/values/values_cxxmutex.sh):
 * a thread holds `held`, another holds `rheld` twice, `idle` and `ridle` are free; each holder
 * keeps its TID as the kernel gave it (gettid) in held_tid / rheld_tid. main stops in mx_stop()
 * once both have their locks, then lets them go; with an argument it waits forever instead (for
 * an attach). */
#include <atomic>
#include <cstdio>
#include <mutex>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

extern "C" __attribute__((noinline)) int mx_stop(int v)
{
    __asm__ volatile("" ::: "memory");
    return v + 1;
}

namespace mx {
std::mutex held, idle;
std::recursive_mutex rheld, ridle;
struct Guarded {
    int value = 3;
    std::mutex mu;
};
Guarded box;
volatile int held_tid, rheld_tid;
} // namespace mx

static std::atomic<int> ready{0};
static int go[2];

static void wait_go()
{
    char c;
    while (read(go[0], &c, 1) < 0) {
    }
}

int main(int argc, char **argv)
{
    (void)argv;
    if (pipe(go) != 0)
        return 1;
    std::thread a([] {
        std::lock_guard<std::mutex> g(mx::held);
        mx::held_tid = (int)syscall(SYS_gettid);
        ready++;
        wait_go();
    });
    std::thread b([] {
        std::lock_guard<std::recursive_mutex> g1(mx::rheld);
        std::lock_guard<std::recursive_mutex> g2(mx::rheld);
        mx::rheld_tid = (int)syscall(SYS_gettid);
        ready++;
        wait_go();
    });
    while (ready.load() < 2)
        usleep(1000);
    if (argc > 1) {
        printf("ready\n");
        fflush(stdout);
        wait_go(); /* nobody writes: asleep in read until killed */
    }
    std::mutex &ref = mx::held;
    int r = mx_stop(ready.load() + mx::box.value + (int)sizeof ref);
    if (write(go[1], "xx", 2) != 2)
        return 1;
    a.join();
    b.join();
    printf("%d\n", r);
    return 0;
}
