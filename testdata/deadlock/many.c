/* 1000 threads: 997 wait on a condition variable (idle workers), 3 are in a lock cycle.
 *   many sock   the 997 idle workers block in read(2) on one unix socketpair instead, whose other
 *               end main holds (each read is looked up in the kernel's socket diagnostics) */
#include "dl_common.h"

#include <sys/socket.h>

#define NTHREADS 1000
#define NRING 3

pthread_mutex_t ring_mu[NRING];
pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static int idle;
static pthread_barrier_t ring_hold;
static int sock_rd = -1;

static void *idle_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool_mu);
    idle++;
    if (sock_rd >= 0) {
        pthread_mutex_unlock(&pool_mu);
        char c;
        while (read(sock_rd, &c, 1) != 0) {
        }
        return NULL;
    }
    for (;;)
        pthread_cond_wait(&pool_cv, &pool_mu);
    return NULL;
}

static void *ring_worker(void *arg)
{
    int i = (int)(long)arg;
    pthread_mutex_lock(&ring_mu[i]);
    pthread_barrier_wait(&ring_hold);
    dl_will_block();
    pthread_mutex_lock(&ring_mu[(i + 1) % NRING]);
    return NULL;
}

int main(int argc, char **argv)
{
    int sv[2];
    if (argc > 1 && !strcmp(argv[1], "sock")) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return 1;
        sock_rd = sv[0];
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_barrier_init(&ring_hold, NULL, NRING);
    for (int i = 0; i < NRING; i++)
        pthread_mutex_init(&ring_mu[i], NULL);
    pthread_t t;
    for (int i = 0; i < NTHREADS - NRING; i++) {
        if (pthread_create(&t, &attr, idle_worker, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
        if (i == (NTHREADS - NRING) / 2)
            for (int r = 0; r < NRING; r++)
                pthread_create(&t, &attr, ring_worker, (void *)(long)r);
    }
    for (;;) {
        pthread_mutex_lock(&pool_mu);
        int n = idle;
        pthread_mutex_unlock(&pool_mu);
        if (n == NTHREADS - NRING)
            break;
        dl_sleep_ms(5);
    }
    dl_ready(NRING);
    dl_forever();
}
