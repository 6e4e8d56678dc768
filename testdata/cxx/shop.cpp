/* A small C++ service for the name tests (tests/integration/spine/cxx.sh): every thread blocks in
 * a C++ frame whose name gdb builds from namespaces, classes, templates or lambdas.
 *
 *   thread        function it blocks in                     on
 *   (main)        main -> std::thread::join()               the "joiner" thread (never ends)
 *   consumer      shop::core::Consumer::run()               std::mutex inventory_mu (main holds it)
 *   tally         shop::core::tally<int>(int)               std::mutex ledger_mu (main holds it)
 *   lambda        shop::core::start_waiter()::{lambda()#1}  std::condition_variable (never notified)
 *   joiner        shop::core::join_consumer(std::thread&)   consumer's std::thread::join()
 *
 * Prints "ready" once each thread sits in its futex wait (asked of the kernel, as spine_ready.h
 * does for the C programs), then main joins "joiner" forever. */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <time.h>

namespace shop {
namespace core {

std::mutex inventory_mu;
std::mutex ledger_mu;
std::mutex cv_mu;
std::condition_variable never_cv;
std::atomic<pid_t> tids[4];

static pid_t gettid_now()
{
    return (pid_t)syscall(SYS_gettid);
}

/* The kernel's word: TID is in futex(2) with its first argument in [lo, hi). */
static bool blocked_on(pid_t tid, uintptr_t lo, uintptr_t hi)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    long nr;
    unsigned long arg0;
    if (sscanf(buf, "%ld %lx", &nr, &arg0) != 2 || nr != SYS_futex)
        return false;
    return arg0 >= lo && arg0 < hi;
}

static void wait_blocked(int i, const void *obj, size_t size, const char *what)
{
    const struct timespec tick = {0, 200 * 1000};
    uintptr_t lo = (uintptr_t)obj;
    for (long k = 0; k < 100000; k++) {
        pid_t tid = tids[i].load();
        if (tid > 0 && blocked_on(tid, lo, lo + size))
            return;
        nanosleep(&tick, nullptr);
    }
    fprintf(stderr, "shop: thread '%s' did not block as expected within 20 s\n", what);
    exit(1);
}

class Consumer {
public:
    explicit Consumer(int id) : id_(id) {}
    void run()
    {
        tids[0] = gettid_now();
        std::lock_guard<std::mutex> g(inventory_mu);
        taken_ += id_;
    }

private:
    int id_;
    int taken_ = 0;
};

template <typename T> T tally(T x)
{
    tids[1] = gettid_now();
    std::lock_guard<std::mutex> g(ledger_mu);
    return x + 1;
}

static std::thread start_waiter()
{
    return std::thread([] {
        tids[2] = gettid_now();
        std::unique_lock<std::mutex> lk(cv_mu);
        never_cv.wait(lk, [] { return false; });
    });
}

static void join_consumer(std::thread &t)
{
    tids[3] = gettid_now();
    t.join();
}

} // namespace core
} // namespace shop

int main()
{
    using namespace shop::core;
    inventory_mu.lock();
    ledger_mu.lock();

    Consumer c(7);
    std::thread consumer(&Consumer::run, &c);
    pthread_setname_np(consumer.native_handle(), "consumer");
    wait_blocked(0, &inventory_mu, sizeof inventory_mu, "consumer");

    std::thread tallier(tally<int>, 41);
    pthread_setname_np(tallier.native_handle(), "tally");
    wait_blocked(1, &ledger_mu, sizeof ledger_mu, "tally");

    std::thread waiter = start_waiter();
    pthread_setname_np(waiter.native_handle(), "lambda");
    wait_blocked(2, &never_cv, sizeof never_cv, "lambda");

    /* join() waits on the joined thread's TID word inside its struct pthread (at native_handle). */
    const void *consumer_pd = (const void *)consumer.native_handle();
    std::thread joiner(join_consumer, std::ref(consumer));
    pthread_setname_np(joiner.native_handle(), "joiner");
    wait_blocked(3, consumer_pd, 4096, "joiner");

    fputs("ready\n", stdout);
    fflush(stdout);
    joiner.join();
    return 0;
}
