// A C++ ABBA through std::lock_guard (issue 15 review): transfer(a, b) and transfer(b, a), each
// taking from.mu then to.mu. Built with clang++ -O2: std::lock_guard, std::mutex::lock and
// __gthread_mutex_lock are inlined into transfer, their lines in the C++ library's headers
// (gthr-default.h); the report must name transfer at this file's line, as at -O0.
#include "dl_common.h"

#include <mutex>

struct account {
    std::mutex mu;
    long balance = 100;
};

static account acct_a, acct_b;
static pthread_barrier_t both_hold;

__attribute__((noinline)) static void transfer(account &from, account &to, long amount)
{
    std::lock_guard<std::mutex> f(from.mu);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    std::lock_guard<std::mutex> t(to.mu); // BLOCKS
    from.balance -= amount;
    to.balance += amount;
}

static void *worker_a(void *)
{
    transfer(acct_a, acct_b, 10);
    return nullptr;
}

static void *worker_b(void *)
{
    transfer(acct_b, acct_a, 20);
    return nullptr;
}

int main()
{
    pthread_t a, b;
    pthread_barrier_init(&both_hold, nullptr, 2);
    pthread_create(&a, nullptr, worker_a, nullptr);
    pthread_create(&b, nullptr, worker_b, nullptr);
    pthread_setname_np(a, "worker_a");
    pthread_setname_np(b, "worker_b");
    dl_ready(2);
    dl_forever();
}
