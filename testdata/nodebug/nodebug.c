/* ABBA over two mutexes that only the ELF symbol table names: io_threads_mutex[0] and [1], defined
 * in nodebug_locks.c, built without -g (a library, or an object linked into this program). The
 * report must name them as gdb does: io_threads_mutex and io_threads_mutex+0x28. */
#include "../deadlock/dl_common.h"

pthread_mutex_t *io_lock(int i); /* &io_threads_mutex[i] */
static pthread_barrier_t both_hold;

static void *io_reader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(io_lock(0));
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(io_lock(1)); /* waits forever: io_writer holds [1] */
    return NULL;
}

static void *io_writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(io_lock(1));
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(io_lock(0)); /* waits forever: io_reader holds [0] */
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, io_reader, NULL);
    pthread_create(&b, NULL, io_writer, NULL);
    pthread_setname_np(a, "io_reader");
    pthread_setname_np(b, "io_writer");
    dl_ready(2);
    dl_forever();
}
