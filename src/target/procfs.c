#include "target/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

int cd_procfs_parse_stat(const char *s, char name[17], char *state)
{
    const char *open = strchr(s, '(');
    const char *close = strrchr(s, ')');
    if (!open || !close || close < open || close[1] != ' ' || !close[2])
        return -1;
    size_t n = (size_t)(close - open - 1);
    if (n > 16)
        n = 16;
    if (name) {
        memcpy(name, open + 1, n);
        name[n] = 0;
    }
    if (state)
        *state = close[2];
    return 0;
}

void cd_procfs_parse_comm(const char *s, char name[17])
{
    size_t n = strcspn(s, "\n");
    if (n > 16)
        n = 16;
    memcpy(name, s, n);
    name[n] = 0;
}

int cd_procfs_parse_syscall(const char *s, cd_syscall_state *out)
{
    memset(out, 0, sizeof *out);
    out->nr = -1;
    while (*s == ' ')
        s++;
    if (strncmp(s, "running", 7) == 0) {
        out->kind = CD_SC_RUNNING;
        return 0;
    }
    char *end;
    errno = 0;
    long nr = strtol(s, &end, 10);
    if (end == s || errno)
        return -1;
    uint64_t v[8];
    int nv = 0;
    for (const char *p = end; nv < 8;) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            break;
        char *e;
        v[nv] = strtoull(p, &e, 0);
        if (e == p)
            return -1;
        nv++;
        p = e;
    }
    if (nr == -1 && nv == 2) {
        out->kind = CD_SC_RUNNING;
        out->sp = v[0];
        out->pc = v[1];
        return 0;
    }
    if (nr >= 0 && nv == 8) {
        out->kind = CD_SC_BLOCKED;
        out->nr = nr;
        memcpy(out->args, v, sizeof out->args);
        out->sp = v[6];
        out->pc = v[7];
        return 0;
    }
    return -1;
}

static pid_t status_field(const char *s, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0) {
            p += kl;
            while (*p == ' ' || *p == '\t')
                p++;
            return (pid_t)strtol(p, NULL, 10);
        }
    }
    return -1;
}

int cd_procfs_parse_status(const char *s, cd_proc_status *out)
{
    out->state = 0;
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, "State:", 6) == 0) {
            p += 6;
            while (*p == ' ' || *p == '\t')
                p++;
            out->state = *p;
            break;
        }
    }
    out->tgid = status_field(s, "Tgid:");
    out->ppid = status_field(s, "PPid:");
    out->tracer_pid = status_field(s, "TracerPid:");
    out->threads = (int)status_field(s, "Threads:");
    return out->state ? 0 : -1;
}

pid_t cd_procfs_parse_nspid(const char *s)
{
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, "NSpid:", 6) != 0)
            continue;
        long last = 0;
        int n = 0;
        for (p += 6; *p && *p != '\n';) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '\n' || !*p)
                break;
            char *end;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (end == p || errno || v <= 0 || v > 0x3fffffff)
                return 0;
            last = v;
            n++;
            p = end;
        }
        return n ? (pid_t)last : 0;
    }
    return 0;
}

int cd_procfs_parse_maps(const char *s, cd_mapping **out, size_t *n)
{
    cd_mapping *m = NULL;
    size_t cnt = 0, cap = 0;
    for (const char *line = s; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char perms[8] = "";
        unsigned long long start, end, off, inode;
        int pos = 0;
        /* sscanf on a bounded copy: it must not run into the next line */
        char tmp[512];
        size_t cl = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
        memcpy(tmp, line, cl);
        tmp[cl] = 0;
        if (sscanf(tmp, "%llx-%llx %7s %llx %*s %llu %n", &start, &end, perms, &off, &inode, &pos) >= 5) {
            if (cnt == cap) {
                cap = cap ? cap * 2 : 64;
                m = cd_xrealloc(m, cap * sizeof *m);
            }
            cd_mapping *mp = &m[cnt++];
            mp->start = start;
            mp->end = end;
            mp->offset = off;
            mp->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                       (perms[2] == 'x' ? PROT_EXEC : 0);
            mp->path = NULL;
            if (pos > 0 && (size_t)pos < len) {
                /* path from the original line: it may be longer than tmp */
                const char *p = line + pos;
                size_t pl = len - (size_t)pos;
                char *path = cd_xmalloc(pl + 1);
                memcpy(path, p, pl);
                path[pl] = 0;
                mp->path = path;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    *out = m;
    *n = cnt;
    return 0;
}

void cd_procfs_free_maps(cd_mapping *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].path);
    free(m);
}

int cd_procfs_list_tasks(pid_t pid, pid_t **out, size_t *n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    pid_t *v = NULL;
    size_t cnt = 0, cap = 0;
    bool leader = false;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long long tid;
        if (!cd_parse_uint(de->d_name, &tid))
            continue;
        if ((pid_t)tid == pid) {
            leader = true;
            continue;
        }
        if (cnt + 1 >= cap) {
            cap = cap ? cap * 2 : 64;
            v = cd_xrealloc(v, cap * sizeof *v);
        }
        v[cnt++] = (pid_t)tid;
    }
    closedir(d);
    if (leader) {
        if (cnt + 1 > cap)
            v = cd_xrealloc(v, (cnt + 1) * sizeof *v);
        memmove(v + 1, v, cnt * sizeof *v);
        v[0] = pid;
        cnt++;
    }
    if (cnt == 0) {
        free(v);
        errno = ESRCH;
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

static int pf_take_stat(pid_t pid, pid_t tid, char name[17], char *state);
static int pf_read_stat_file(pid_t pid, pid_t tid, char name[17], char *state);

int cd_procfs_read_stat(pid_t pid, pid_t tid, char name[17], char *state)
{
    if (pf_take_stat(pid, tid, name, state) == 0)
        return 0;
    return pf_read_stat_file(pid, tid, name, state);
}

static int pf_read_stat_file(pid_t pid, pid_t tid, char name[17], char *state)
{
    /* Called once per thread at attach: a stack buffer and one read() keep 1000 threads cheap. */
    char path[96], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r;
    do
        r = read(fd, buf, sizeof buf - 1);
    while (r < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (r <= 0) {
        errno = r < 0 ? e : ESRCH;
        return -1;
    }
    buf[r] = 0;
    return cd_procfs_parse_stat(buf, name, state);
}

static ssize_t sc_pread(int fd, char *buf, size_t len)
{
    ssize_t r;
    do
        r = pread(fd, buf, len, 0);
    while (r < 0 && errno == EINTR);
    return r;
}

/* ---- the dump's helper thread (cd_procfs_prefetch_start) ---- */

enum { PF_EMPTY, PF_BUSY, PF_DONE, PF_MINE };

typedef struct pf_ent {
    pid_t tid;
    _Atomic int st;  /* stat: PF_EMPTY -> PF_BUSY (helper reading) -> PF_DONE, or PF_MINE (the caller's) */
    _Atomic int sc;  /* syscall line: the same */
    char name[17];
    char state;
    int sc_fd;
    ssize_t sc_len;
    char sc_line[256];
} pf_ent;

static struct {
    pthread_mutex_t lock; /* guards running and the fields below it; the entries are atomics */
    pthread_cond_t moved;
    bool running;
    pthread_t thr;
    pid_t pid;
    pf_ent *e;
    size_t n, hcap;
    int32_t *hash; /* tid -> index + 1 */
    atomic_bool stop;
    atomic_size_t taken; /* how far the caller has taken syscall lines (index + 1) */
    size_t wake_at;      /* the helper waits until taken reaches this (0: it does not wait) */
} pf = {.lock = PTHREAD_MUTEX_INITIALIZER, .moved = PTHREAD_COND_INITIALIZER};

/* How many threads' syscall files the helper may hold open ahead of the caller: bounds the open
 * files, and the age of a line when it is used. */
#define PF_AHEAD 32

static pf_ent *pf_find(pid_t pid, pid_t tid)
{
    if (!pf.e || pf.pid != pid)
        return NULL;
    size_t h = ((uint32_t)tid * 2654435761u) & (pf.hcap - 1);
    for (; pf.hash[h]; h = (h + 1) & (pf.hcap - 1))
        if (pf.e[pf.hash[h] - 1].tid == tid)
            return &pf.e[pf.hash[h] - 1];
    return NULL;
}

static void *pf_main(void *arg)
{
    (void)arg;
    /* The stat files from the end of the list while the caller's attach reads them from the
     * start: where they meet (an entry already claimed) this half is done. */
    for (size_t i = pf.n; i-- > 0 && !atomic_load(&pf.stop);) {
        pf_ent *x = &pf.e[i];
        int want = PF_EMPTY;
        if (!atomic_compare_exchange_strong(&x->st, &want, PF_BUSY))
            break;
        bool ok = pf_read_stat_file(pf.pid, x->tid, x->name, &x->state) == 0;
        atomic_store(&x->st, ok ? PF_DONE : PF_MINE);
    }
    /* Then the syscall lines, open file kept, a few threads ahead of the caller's unwinding. */
    for (size_t i = 0; i < pf.n && !atomic_load(&pf.stop); i++) {
        if (i >= atomic_load(&pf.taken) + PF_AHEAD) {
            /* woken when half of what it read ahead is taken, not at every take: a wake-up per
             * thread would cost more than the read it saves */
            pthread_mutex_lock(&pf.lock);
            pf.wake_at = i - PF_AHEAD / 2;
            while (i >= atomic_load(&pf.taken) + PF_AHEAD && !atomic_load(&pf.stop))
                pthread_cond_wait(&pf.moved, &pf.lock);
            pf.wake_at = 0;
            pthread_mutex_unlock(&pf.lock);
        }
        pf_ent *x = &pf.e[i];
        int want = PF_EMPTY;
        if (!atomic_compare_exchange_strong(&x->sc, &want, PF_BUSY))
            continue;
        char path[96];
        snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pf.pid, (int)x->tid);
        x->sc_fd = open(path, O_RDONLY | O_CLOEXEC);
        x->sc_len = x->sc_fd < 0 ? -1 : sc_pread(x->sc_fd, x->sc_line, sizeof x->sc_line - 1);
        if (x->sc_len <= 0 && x->sc_fd >= 0) {
            close(x->sc_fd);
            x->sc_fd = -1;
        }
        atomic_store(&x->sc, x->sc_fd >= 0 ? PF_DONE : PF_MINE);
    }
    return NULL;
}

void cd_procfs_prefetch_start(pid_t pid)
{
    pthread_mutex_lock(&pf.lock);
    if (pf.running) {
        pthread_mutex_unlock(&pf.lock);
        return;
    }
    pid_t *tids;
    size_t n;
    if (cd_procfs_list_tasks(pid, &tids, &n) < 0) {
        pthread_mutex_unlock(&pf.lock);
        return;
    }
    pf.pid = pid;
    pf.n = n;
    pf.e = cd_xcalloc(n, sizeof *pf.e);
    pf.hcap = 16;
    while (pf.hcap < 2 * n)
        pf.hcap <<= 1;
    pf.hash = cd_xcalloc(pf.hcap, sizeof *pf.hash);
    for (size_t i = 0; i < n; i++) {
        pf.e[i].tid = tids[i];
        pf.e[i].sc_fd = -1;
        size_t h = ((uint32_t)tids[i] * 2654435761u) & (pf.hcap - 1);
        while (pf.hash[h])
            h = (h + 1) & (pf.hcap - 1);
        pf.hash[h] = (int32_t)i + 1;
    }
    free(tids);
    atomic_store(&pf.stop, false);
    atomic_store(&pf.taken, 0);
    pf.running = pthread_create(&pf.thr, NULL, pf_main, NULL) == 0;
    if (!pf.running) {
        free(pf.e);
        free(pf.hash);
        pf.e = NULL;
        pf.hash = NULL;
    }
    pthread_mutex_unlock(&pf.lock);
}

void cd_procfs_prefetch_stop(void)
{
    pthread_mutex_lock(&pf.lock);
    if (!pf.running) {
        pthread_mutex_unlock(&pf.lock);
        return;
    }
    atomic_store(&pf.stop, true);
    pthread_cond_broadcast(&pf.moved);
    pthread_mutex_unlock(&pf.lock);
    pthread_join(pf.thr, NULL);
    pthread_mutex_lock(&pf.lock);
    for (size_t i = 0; i < pf.n; i++)
        if (atomic_load(&pf.e[i].sc) == PF_DONE && pf.e[i].sc_fd >= 0)
            close(pf.e[i].sc_fd);
    free(pf.e);
    free(pf.hash);
    pf.e = NULL;
    pf.hash = NULL;
    pf.n = 0;
    pf.running = false;
    pthread_mutex_unlock(&pf.lock);
}

bool cd_procfs_prefetch_has(pid_t pid, pid_t tid, bool syscall)
{
    pthread_mutex_lock(&pf.lock);
    pf_ent *x = pf.running ? pf_find(pid, tid) : NULL;
    bool r = x && atomic_load(syscall ? &x->sc : &x->st) == PF_DONE;
    pthread_mutex_unlock(&pf.lock);
    return r;
}

/* The helper's read of TID's stat, once: 0 and the fields, or -1 (read it yourself). An entry
 * nobody took yet is claimed, so that the helper does not read it too. */
static int pf_take_stat(pid_t pid, pid_t tid, char name[17], char *state)
{
    pthread_mutex_lock(&pf.lock);
    pf_ent *x = pf.running ? pf_find(pid, tid) : NULL;
    int rc = -1;
    if (x) {
        int want = PF_EMPTY;
        if (!atomic_compare_exchange_strong(&x->st, &want, PF_MINE) && want == PF_DONE) {
            atomic_store(&x->st, PF_MINE); /* used once: a later read reads the file again */
            if (name)
                memcpy(name, x->name, sizeof x->name);
            if (state)
                *state = x->state;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&pf.lock);
    return rc;
}

/* The helper's open syscall file of TID and the line it read (into buf, length *len), once: the
 * fd, now the caller's, or -1 (read it yourself). */
static int pf_take_syscall(pid_t pid, pid_t tid, char *buf, size_t cap, ssize_t *len)
{
    pthread_mutex_lock(&pf.lock);
    pf_ent *x = pf.running ? pf_find(pid, tid) : NULL;
    int fd = -1;
    if (x) {
        int want = PF_EMPTY;
        if (!atomic_compare_exchange_strong(&x->sc, &want, PF_MINE) && want == PF_DONE) {
            atomic_store(&x->sc, PF_MINE);
            fd = x->sc_fd;
            x->sc_fd = -1;
            size_t l = (size_t)x->sc_len < cap - 1 ? (size_t)x->sc_len : cap - 1;
            memcpy(buf, x->sc_line, l);
            *len = (ssize_t)l;
        }
        size_t i = (size_t)(x - pf.e) + 1;
        if (i > atomic_load(&pf.taken)) {
            atomic_store(&pf.taken, i);
            if (pf.wake_at && i >= pf.wake_at)
                pthread_cond_signal(&pf.moved);
        }
    }
    pthread_mutex_unlock(&pf.lock);
    return fd;
}

/* The syscall file of the thread read last stays open: a dump reads each thread's line twice, before
 * and after unwinding it, and a pread of the open file regenerates the line for a third of the
 * cost of open + read + close. One slot keeps cdbg's open files at one whatever the thread count.
 * The open file is bound to the task, not to the number: once that thread is gone (and its TID
 * possibly reused) the pread fails with ESRCH and the path is opened afresh. */
static struct {
    pthread_mutex_t lock;
    int fd;
    pid_t pid, tid;
} sc_slot = {PTHREAD_MUTEX_INITIALIZER, -1, 0, 0};

int cd_procfs_read_syscall(pid_t pid, pid_t tid, cd_syscall_state *out)
{
    memset(out, 0, sizeof *out);
    out->nr = -1;
    char buf[512];
    ssize_t r = -1;
    int e = 0;
    pthread_mutex_lock(&sc_slot.lock);
    if (!(sc_slot.fd >= 0 && sc_slot.pid == pid && sc_slot.tid == tid)) {
        /* the helper's open file and line, read before this call */
        int pfd = pf_take_syscall(pid, tid, buf, sizeof buf, &r);
        if (pfd >= 0) {
            if (sc_slot.fd >= 0)
                close(sc_slot.fd);
            sc_slot.fd = pfd;
            sc_slot.pid = pid;
            sc_slot.tid = tid;
        }
    } else {
        r = sc_pread(sc_slot.fd, buf, sizeof buf - 1);
        e = errno;
        if (r <= 0) {
            close(sc_slot.fd);
            sc_slot.fd = -1;
        }
    }
    if (r <= 0) {
        if (sc_slot.fd >= 0)
            close(sc_slot.fd);
        sc_slot.fd = -1;
        char path[96];
        snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        r = fd < 0 ? -1 : sc_pread(fd, buf, sizeof buf - 1);
        e = errno;
        if (r > 0) {
            sc_slot.fd = fd;
            sc_slot.pid = pid;
            sc_slot.tid = tid;
        } else if (fd >= 0) {
            close(fd);
        }
    }
    pthread_mutex_unlock(&sc_slot.lock);
    if (r <= 0) {
        errno = r < 0 ? e : ENODATA;
        return -1;
    }
    buf[r] = 0;
    if (cd_procfs_parse_syscall(buf, out) < 0) {
        errno = EBADMSG;
        return -1;
    }
    return 0;
}

int cd_procfs_read_status(pid_t pid, cd_proc_status *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return -1;
    int r = cd_procfs_parse_status(s, out);
    free(s);
    return r;
}

bool cd_procfs_other_pidns(pid_t pid)
{
    char path[64], mine[64] = "", theirs[64] = "";
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
    ssize_t a = readlink("/proc/self/ns/pid", mine, sizeof mine - 1);
    ssize_t b = readlink(path, theirs, sizeof theirs - 1);
    return a > 0 && b > 0 && strcmp(mine, theirs) != 0;
}

pid_t cd_procfs_read_ns_tid(pid_t pid, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return 0;
    pid_t r = cd_procfs_parse_nspid(s);
    free(s);
    return r;
}

void cd_procfs_read_comm(pid_t pid, char name[17])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    char *s = cd_read_file(path, NULL);
    if (!s) {
        strcpy(name, "?");
        return;
    }
    cd_procfs_parse_comm(s, name);
    free(s);
}
