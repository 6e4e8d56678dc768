#include "target/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
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

int cd_procfs_read_stat(pid_t pid, pid_t tid, char name[17], char *state)
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

/* ---- many threads' stat files: two threads made for the call ---- */

typedef struct stats_job {
    pid_t pid;
    const pid_t *tids;
    cd_procfs_stat *out;
    _Atomic unsigned char *claimed;
    size_t n;
} stats_job;

static void stat_one(stats_job *j, size_t i)
{
    cd_procfs_stat *o = &j->out[i];
    o->ok = cd_procfs_read_stat(j->pid, j->tids[i], o->name, &o->state) == 0;
}

/* From the end of the list while the caller's thread reads from the start, until they meet. */
static void *stats_helper(void *arg)
{
    stats_job *j = arg;
    for (size_t i = j->n; i-- > 0;) {
        if (atomic_exchange(&j->claimed[i], 1))
            break;
        stat_one(j, i);
    }
    return NULL;
}

/* The helper pays for its creation (~50 us) only past a few dozen threads. */
#define STATS_HELPER_MIN 64

void cd_procfs_read_stats(pid_t pid, const pid_t *tids, size_t n, cd_procfs_stat *out)
{
    stats_job j = {pid, tids, out, cd_xcalloc(n ? n : 1, 1), n};
    pthread_t thr;
    bool helper = n >= STATS_HELPER_MIN && pthread_create(&thr, NULL, stats_helper, &j) == 0;
    for (size_t i = 0; i < n; i++) {
        if (atomic_exchange(&j.claimed[i], 1))
            break;
        stat_one(&j, i);
    }
    if (helper)
        pthread_join(thr, NULL);
    free((void *)j.claimed);
}

static ssize_t sc_pread(int fd, char *buf, size_t len)
{
    ssize_t r;
    do
        r = pread(fd, buf, len, 0);
    while (r < 0 && errno == EINTR);
    return r;
}

static int sc_open(pid_t pid, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static int sc_parse(ssize_t r, int e, char *buf, cd_syscall_state *out)
{
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

int cd_procfs_read_syscall(pid_t pid, pid_t tid, cd_syscall_state *out)
{
    memset(out, 0, sizeof *out);
    out->nr = -1;
    char buf[512];
    int fd = sc_open(pid, tid);
    ssize_t r = fd < 0 ? -1 : sc_pread(fd, buf, sizeof buf - 1);
    int e = errno;
    if (fd >= 0)
        close(fd);
    return sc_parse(r, e, buf, out);
}

int cd_procfs_sc_read(cd_procfs_sc_reader *rd, pid_t pid, pid_t tid, cd_syscall_state *out)
{
    memset(out, 0, sizeof *out);
    out->nr = -1;
    char buf[512];
    ssize_t r = -1;
    int e = 0;
    if (rd->fd >= 0 && rd->pid == pid && rd->tid == tid) {
        r = sc_pread(rd->fd, buf, sizeof buf - 1);
        e = errno;
    }
    if (r <= 0) {
        /* another thread, or the kept file failed (its thread gone, ESRCH): open this one's */
        cd_procfs_sc_close(rd);
        int fd = sc_open(pid, tid);
        r = fd < 0 ? -1 : sc_pread(fd, buf, sizeof buf - 1);
        e = errno;
        if (r > 0) {
            rd->fd = fd;
            rd->pid = pid;
            rd->tid = tid;
        } else if (fd >= 0) {
            close(fd);
        }
    }
    return sc_parse(r, e, buf, out);
}

void cd_procfs_sc_close(cd_procfs_sc_reader *rd)
{
    if (rd->fd >= 0)
        close(rd->fd);
    rd->fd = -1;
    rd->pid = rd->tid = 0;
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

bool cd_procfs_process_gone(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return true;
    const char *q = strrchr(s, ')');
    bool gone = !q || q[1] != ' ' || q[2] == 'Z' || q[2] == 'X';
    free(s);
    return gone;
}
