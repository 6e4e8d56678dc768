/* perf_event_open ring buffers (perfring.h). */
#include "trace/perfring.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

long cd_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group, unsigned long flags)
{
    return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
}

int cd_perf_ring_map(cd_perf_ring *r, int fd, size_t size)
{
    long pg = sysconf(_SC_PAGESIZE);
    void *m = MAP_FAILED;
    while (size >= (size_t)pg * 8) {
        m = mmap(NULL, size + (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED)
            break;
        size /= 2; /* over the locked-memory limit: a smaller ring */
    }
    if (m == MAP_FAILED)
        return -1;
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->meta = m;
    r->data = (uint8_t *)m + pg;
    r->size = size;
    r->map_len = size + (size_t)pg;
    return 0;
}

void cd_perf_ring_unmap(cd_perf_ring *r)
{
    if (r->meta)
        munmap(r->meta, r->map_len);
    free(r->tmp);
    r->meta = NULL;
    r->data = NULL;
    r->tmp = NULL;
    r->tmp_cap = 0;
}

int cd_perf_ring_pending(const cd_perf_ring *r)
{
    return r->meta && __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE) != r->meta->data_tail;
}

void cd_perf_ring_drain(cd_perf_ring *r, cd_perf_rec_fn fn, void *arg)
{
    if (!r->meta)
        return;
    uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = r->meta->data_tail;
    while (tail < head) {
        struct perf_event_header h;
        size_t at = tail & (r->size - 1);
        if (at + sizeof h <= r->size) {
            memcpy(&h, r->data + at, sizeof h);
        } else {
            size_t k = r->size - at;
            memcpy(&h, r->data + at, k);
            memcpy((uint8_t *)&h + k, r->data, sizeof h - k);
        }
        if (h.size < sizeof h)
            break;
        const uint8_t *rec;
        if (at + h.size <= r->size) {
            rec = r->data + at;
        } else {
            if (h.size > r->tmp_cap) {
                r->tmp_cap = h.size;
                r->tmp = cd_xrealloc(r->tmp, r->tmp_cap);
            }
            size_t k = r->size - at;
            memcpy(r->tmp, r->data + at, k);
            memcpy(r->tmp + k, r->data, h.size - k);
            rec = r->tmp;
        }
        fn(arg, &h, rec + sizeof h, h.size - sizeof h);
        tail += h.size;
    }
    __atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}
