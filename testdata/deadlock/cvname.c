/* Condition variable waits on objects that are not globals, for the names the report gives them:
 * `cvname local` waits on the global q_cv with a mutex `m` local to the consumer, `cvname heap`
 * on `q->cv` with `q->mu`, members of a heap object. Either way the consumer holds config_mu
 * across its wait and the only producer needs config_mu before it can signal (as condvar.c): no
 * thread can ever signal, main joins the consumer, the whole process is asleep for good.
 * The report must name the objects as this code does (`m`, `q->mu`), never by the parameter
 * names of the C library's functions (pthread_cond_wait's own `mutex`). */
#include "dl_common.h"

struct queue {
    long len;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static pthread_mutex_t config_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static struct queue *volatile shared_q;
static int heap_mode;
static pid_t consumer_tid;

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config_mu);
    if (heap_mode) {
        struct queue *q = calloc(1, sizeof *q);
        pthread_mutex_init(&q->mu, NULL);
        pthread_cond_init(&q->cv, NULL);
        shared_q = q;
        pthread_mutex_lock(&q->mu);
        consumer_tid = dl_gettid();
        dl_will_block();
        while (q->len == 0)
            pthread_cond_wait(&q->cv, &q->mu);
        pthread_mutex_unlock(&q->mu);
    } else {
        pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&m);
        consumer_tid = dl_gettid();
        dl_will_block();
        pthread_cond_wait(&q_cv, &m);
        pthread_mutex_unlock(&m);
    }
    pthread_mutex_unlock(&config_mu);
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&consumer_tid, __ATOMIC_SEQ_CST) || !dl_in_futex(consumer_tid))
        dl_sleep_ms(2);
    dl_will_block();
    pthread_mutex_lock(&config_mu);
    if (heap_mode) {
        pthread_mutex_lock(&shared_q->mu);
        shared_q->len++;
        pthread_cond_signal(&shared_q->cv);
        pthread_mutex_unlock(&shared_q->mu);
    } else {
        pthread_cond_signal(&q_cv);
    }
    pthread_mutex_unlock(&config_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    heap_mode = argc > 1 && strcmp(argv[1], "heap") == 0;
    pthread_t c, p;
    pthread_create(&c, NULL, consumer, NULL);
    pthread_setname_np(c, "consumer");
    pthread_create(&p, NULL, producer, NULL);
    pthread_setname_np(p, "producer");
    dl_ready(2);
    pthread_join(c, NULL);
    return 0;
}
