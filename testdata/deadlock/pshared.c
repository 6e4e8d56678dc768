/* A process-shared mutex in shared memory, locked by a child process: the parent's thread waits
 * for a thread of another process. `./pshared hold`: the child sleeps holding it (not a deadlock
 * cdbg can judge: exit 0). `./pshared exit`: the child exits holding it (orphaned, live only). */
#include "dl_common.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static pthread_mutex_t *shared_mu;

static void *waiter(void *arg)
{
    (void)arg;
    dl_will_block();
    pthread_mutex_lock(shared_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    int hold = argc < 2 || strcmp(argv[1], "exit") != 0;
    shared_mu = mmap(NULL, sizeof *shared_mu, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_mu == MAP_FAILED)
        return 1;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(shared_mu, &ma);
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        pthread_mutex_lock(shared_mu);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        if (!hold)
            _exit(0); /* forgets to unlock */
        dl_forever();
    }
    char c;
    if (read(fds[0], &c, 1) != 1)
        return 1;
    if (!hold)
        waitpid(child, NULL, 0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pthread_setname_np(t, "waiter");
    dl_ready(1);
    dl_forever();
}
