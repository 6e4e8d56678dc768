/* A perf_event_open ring buffer, read from user space: shared by the uprobe tracepoint backend
 * (uprobe.c) and the sampling profiler (profile.c), which both read PERF_RECORD_* records the
 * kernel writes into an mmap'd ring. */
#ifndef CD_TRACE_PERFRING_H
#define CD_TRACE_PERFRING_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cd_perf_ring {
    int fd;                 /* the event whose buffer it is */
    struct perf_event_mmap_page *meta;
    uint8_t *data;
    size_t size;            /* data area, a power of two */
    size_t map_len;
    uint8_t *tmp;           /* a record that wraps around the ring's end is copied here */
    size_t tmp_cap;
} cd_perf_ring;

long cd_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group, unsigned long flags);

/* Maps event fd's ring with a data area of `size` bytes (a power of two), halving it down to 8
 * pages when the locked-memory limit refuses it. Returns 0, or -1 with errno. */
int cd_perf_ring_map(cd_perf_ring *r, int fd, size_t size);
void cd_perf_ring_unmap(cd_perf_ring *r);
/* Something the kernel wrote has not been read yet. */
int cd_perf_ring_pending(const cd_perf_ring *r);

/* Hands every record written so far to fn (body: the bytes after the header, contiguous even when
 * the record wraps around the ring's end; valid during the call) and frees their space. */
typedef void (*cd_perf_rec_fn)(void *arg, const struct perf_event_header *h, const uint8_t *body, size_t len);
void cd_perf_ring_drain(cd_perf_ring *r, cd_perf_rec_fn fn, void *arg);

#endif
