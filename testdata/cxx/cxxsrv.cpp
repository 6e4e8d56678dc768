/* A C++ ABBA deadlock on std::mutex (tests/integration/values/values_cxxdeadlock.sh): two transfers
 * lock their accounts in opposite orders through Transfer::lock_both. The frame the deadlock
 * report names is the program's own (lock_both at cxxsrv.cpp), not libstdc++'s std::mutex::lock or
 * gthr-posix.h's __gthread_mutex_lock, whether those are functions of their own (-O0) or inlined
 * into lock_both (-O2). Prints "ready" once both threads sleep in futex(2) (dl_common.h). */
#include "../deadlock/dl_common.h"

#include <mutex>
#include <thread>

namespace bank {
std::mutex ledger_mu;
std::mutex audit_mu;
static pthread_barrier_t both_hold;

struct Transfer {
    std::mutex &first, &second;
    __attribute__((noinline)) void lock_both()
    {
        first.lock();
        pthread_barrier_wait(&both_hold);
        dl_will_block();
        second.lock(); /* waits forever: the other transfer holds it */
    }
};
} // namespace bank

int main()
{
    using namespace bank;
    pthread_barrier_init(&both_hold, nullptr, 2);
    Transfer a{ledger_mu, audit_mu}, b{audit_mu, ledger_mu};
    std::thread ta(&Transfer::lock_both, &a), tb(&Transfer::lock_both, &b);
    pthread_setname_np(ta.native_handle(), "transfer_a");
    pthread_setname_np(tb.native_handle(), "transfer_b");
    dl_ready(2);
    dl_forever();
}
