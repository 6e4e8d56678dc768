/* demo: the README's example "server". Nine threads in typical states, ready after "ready":
 *
 *   thread name    stack (innermost user frame first)               blocked in           marker
 *   (main)         main                                             pthread_join         @demo_join
 *   worker x 4     wait_for_job <- worker_main                      pthread_cond_wait    @demo_job_wait @demo_worker_call
 *   flusher        write_to_disk <- flush_cache (holds cache_lock)  sleep()              @demo_disk @demo_flush_call
 *   handler        lookup_cache <- handle_request                   pthread_mutex_lock   @demo_lookup @demo_handle_call
 *                                                                   (cache_lock, held by flusher)
 *   stats          stats_loop                                       sleep()              @demo_stats
 *   listener       accept_loop                                      read() on a pipe     @demo_read
 *
 * Threads are created in this order (ascending TIDs). Functions are noipa so -O2 keeps every
 * frame and name. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spine_ready.h"

#define NOIPA __attribute__((noipa))

struct job_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    int njobs;
};

static struct job_queue queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int conn_pipe[2];
static volatile int sink;

enum { W0, W1, W2, W3, FLUSHER, HANDLER, STATS, LISTENER, NTHREADS };
static _Atomic pid_t tids[NTHREADS];

NOIPA int wait_for_job(struct job_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->njobs == 0)
        pthread_cond_wait(&q->nonempty, &q->lock); /* @demo_job_wait */
    q->njobs--;
    pthread_mutex_unlock(&q->lock);
    return 1;
}

NOIPA void *worker_main(void *arg)
{
    atomic_store((_Atomic pid_t *)arg, spine_gettid());
    for (;;)
        sink += wait_for_job(&queue); /* @demo_worker_call */
    return arg;
}

NOIPA void write_to_disk(int nbytes)
{
    sink += nbytes;
    for (;;)
        sink += (int)sleep(3600); /* @demo_disk */
}

NOIPA void *flush_cache(void *arg)
{
    pthread_mutex_lock(&cache_lock);
    atomic_store(&tids[FLUSHER], spine_gettid());
    write_to_disk(4096); /* @demo_flush_call */
    pthread_mutex_unlock(&cache_lock);
    return arg;
}

NOIPA int lookup_cache(int key)
{
    pthread_mutex_lock(&cache_lock); /* @demo_lookup */
    sink += key;
    pthread_mutex_unlock(&cache_lock);
    return key;
}

NOIPA void *handle_request(void *arg)
{
    atomic_store(&tids[HANDLER], spine_gettid());
    sink += lookup_cache(42); /* @demo_handle_call */
    return arg;
}

NOIPA void *stats_loop(void *arg)
{
    atomic_store(&tids[STATS], spine_gettid());
    for (;;)
        sink += (int)sleep(60); /* @demo_stats */
    return arg;
}

NOIPA void *accept_loop(void *arg)
{
    char buf[64];
    atomic_store(&tids[LISTENER], spine_gettid());
    for (;;)
        sink += (int)read(conn_pipe[0], buf, sizeof buf); /* @demo_read */
    return arg;
}

static pthread_t spawn(void *(*fn)(void *), void *arg, const char *name, int idx, const spine_expect *e)
{
    pthread_t th;
    int rc = pthread_create(&th, NULL, fn, arg);
    if (rc != 0) {
        fprintf(stderr, "demo: pthread_create(%s): %s\n", name, strerror(rc));
        exit(1);
    }
    pthread_setname_np(th, name);
    spine_wait_blocked(&tids[idx], e, name);
    return th;
}

int main(void)
{
    if (pipe(conn_pipe) != 0) {
        perror("demo: pipe");
        return 1;
    }
    const spine_expect on_queue = {{SYS_futex, -1, -1}, (uintptr_t)&queue.nonempty,
                                   (uintptr_t)&queue.nonempty + sizeof queue.nonempty};
    const spine_expect on_cache = {{SYS_futex, -1, -1}, (uintptr_t)&cache_lock,
                                   (uintptr_t)&cache_lock + sizeof cache_lock};
    const spine_expect sleeping = {{SYS_clock_nanosleep, SYS_nanosleep, -1}, 0, 0};
    const spine_expect reading = {{SYS_read, -1, -1}, 0, 0};

    pthread_t first = spawn(worker_main, &tids[W0], "worker", W0, &on_queue);
    for (int i = W1; i <= W3; i++)
        spawn(worker_main, &tids[i], "worker", i, &on_queue);
    spawn(flush_cache, NULL, "flusher", FLUSHER, &sleeping);
    spawn(handle_request, NULL, "handler", HANDLER, &on_cache);
    spawn(stats_loop, NULL, "stats", STATS, &sleeping);
    spawn(accept_loop, NULL, "listener", LISTENER, &reading);

    spine_say_ready();
    pthread_join(first, NULL); /* @demo_join */
    return 0;
}
