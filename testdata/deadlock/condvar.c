/* A consumer holds config_mu while it waits on q_cv (pthread_cond_wait released q_mu, not
 * config_mu); the only producer needs config_mu before it can signal: nobody can ever signal q_cv.
 * main joins the consumer, so no thread of the process can ever run again.
 * `condvar timed`: the look-alike. The producer signals after a (long) timed sleep without taking
 * config_mu, and an auditor waits for config_mu meanwhile: the consumer can still be woken. */
#include "dl_common.h"

static pthread_mutex_t config_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static int q_len;
static int timed_mode;
static pid_t consumer_tid;

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config_mu);
    pthread_mutex_lock(&q_mu);
    consumer_tid = dl_gettid();
    dl_will_block();
    while (q_len == 0)
        pthread_cond_wait(&q_cv, &q_mu);
    q_len--;
    pthread_mutex_unlock(&q_mu);
    pthread_mutex_unlock(&config_mu);
    return NULL;
}

static void wait_consumer_asleep(void)
{
    while (!__atomic_load_n(&consumer_tid, __ATOMIC_SEQ_CST) || !dl_in_futex(consumer_tid))
        dl_sleep_ms(2);
}

static void *producer(void *arg)
{
    (void)arg;
    wait_consumer_asleep();
    if (timed_mode) {
        dl_sleep_ms(3600 * 1000);
    } else {
        dl_will_block();
        pthread_mutex_lock(&config_mu);
    }
    pthread_mutex_lock(&q_mu);
    q_len++;
    pthread_cond_signal(&q_cv);
    pthread_mutex_unlock(&q_mu);
    if (!timed_mode)
        pthread_mutex_unlock(&config_mu);
    return NULL;
}

static void *auditor(void *arg)
{
    (void)arg;
    wait_consumer_asleep();
    dl_will_block();
    pthread_mutex_lock(&config_mu);
    pthread_mutex_unlock(&config_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    timed_mode = argc > 1 && strcmp(argv[1], "timed") == 0;
    pthread_t c, p, a;
    pthread_create(&c, NULL, consumer, NULL);
    pthread_setname_np(c, "consumer");
    pthread_create(&p, NULL, producer, NULL);
    pthread_setname_np(p, "producer");
    if (timed_mode) {
        pthread_create(&a, NULL, auditor, NULL);
        pthread_setname_np(a, "auditor");
    }
    dl_ready(2);
    pthread_join(c, NULL);
    return 0;
}
