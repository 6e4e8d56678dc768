/* A request/response pair over two semaphores, each side waiting for the other to post first: the
 * client waits for s_resp before it posts s_req, the server waits for s_req. main joins the client.
 * `sem timed`: the look-alike: a kicker posts s_req after a (long) timed sleep. */
#include "dl_common.h"

#include <semaphore.h>

static sem_t s_req, s_resp;

static void *client(void *arg)
{
    (void)arg;
    dl_will_block();
    sem_wait(&s_resp);
    sem_post(&s_req);
    return NULL;
}

static void *server(void *arg)
{
    (void)arg;
    dl_will_block();
    sem_wait(&s_req);
    sem_post(&s_resp);
    return NULL;
}

static void *kicker(void *arg)
{
    (void)arg;
    dl_sleep_ms(3600 * 1000);
    sem_post(&s_req);
    return NULL;
}

int main(int argc, char **argv)
{
    sem_init(&s_req, 0, 0);
    sem_init(&s_resp, 0, 0);
    pthread_t c, s, k;
    pthread_create(&c, NULL, client, NULL);
    pthread_setname_np(c, "client");
    pthread_create(&s, NULL, server, NULL);
    pthread_setname_np(s, "server");
    if (argc > 1 && strcmp(argv[1], "timed") == 0) {
        pthread_create(&k, NULL, kicker, NULL);
        pthread_setname_np(k, "kicker");
    }
    dl_ready(2);
    pthread_join(c, NULL);
    return 0;
}
