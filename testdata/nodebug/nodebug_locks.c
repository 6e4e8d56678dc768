/* Locks in code built without -g (tests/integration/deadlock/nodebug.sh): no DWARF names them, only
 * the ELF symbol table, as in a distribution's library without its debug package. */
#include <pthread.h>

pthread_mutex_t io_threads_mutex[2] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

/* The program reaches the locks only through here, so they stay in the library (a direct reference
 * from a PIE would copy them into the program's .bss). */
pthread_mutex_t *io_lock(int i);
pthread_mutex_t *io_lock(int i)
{
    return &io_threads_mutex[i];
}
