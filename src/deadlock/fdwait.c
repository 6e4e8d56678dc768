/* A thread blocked in read(2) on a pipe or an eventfd, and who could ever write to it.
 *
 * Live only: what an fd is and who else holds it is kernel state, read from /proc. A pipe is
 * named by its inode (readlink "pipe:[N]"), an eventfd by the `eventfd-id` of its fdinfo; the
 * writers are every fd of every process that refers to the same object and was opened for writing
 * (fdinfo `flags`: O_WRONLY or O_RDWR; an eventfd is always writable). A named FIFO (a path, not
 * "pipe:[N]") may be opened by anyone later: not classified. An end sent over a unix socket
 * (SCM_RIGHTS) and not yet received is in no fd table: while the process holds a socket, such an
 * end may be in flight, and the wait is never proven. */
#include "deadlock/deadlock.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYS_READ 0

/* fdinfo's `flags:` (octal) and, for an eventfd, `eventfd-id:`; false if unreadable. */
static bool fdinfo(pid_t pid, const char *fd, unsigned *flags, unsigned long long *evid)
{
    char path[320];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", (int)pid, fd);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return false;
    const char *f = strstr(s, "flags:");
    bool ok = f && sscanf(f + 6, "%o", flags) == 1;
    const char *e = strstr(s, "eventfd-id:");
    *evid = 0;
    if (e)
        (void)sscanf(e + 11, "%llx", evid);
    free(s);
    return ok;
}

static bool link_of(pid_t pid, const char *fd, char *buf, size_t n)
{
    char path[320];
    snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)pid, fd);
    ssize_t k = readlink(path, buf, n - 1);
    if (k < 0)
        return false;
    buf[k] = 0;
    return true;
}

/* Every pipe and eventfd fd of every process, and which processes hold sockets: one scan of /proc
 * per analysis (cd_dl_fd_forget ends it), however many threads wait on pipes. */
typedef struct fdent {
    pid_t pid;
    int fd;
    bool writable;
    unsigned long long key; /* pipe inode, or eventfd-id */
    bool eventfd;
} fdent;

static struct {
    bool valid;
    fdent *e;
    size_t n, cap;
    pid_t *sock; /* processes holding a socket */
    size_t nsock, capsock;
} scan;

void cd_dl_fd_forget(void)
{
    free(scan.e);
    free(scan.sock);
    memset(&scan, 0, sizeof scan);
}

static void scan_all(void)
{
    if (scan.valid)
        return;
    scan.valid = true;
    DIR *proc = opendir("/proc");
    struct dirent *pe;
    while (proc && (pe = readdir(proc))) {
        char *end;
        long p = strtol(pe->d_name, &end, 10);
        if (*end || p <= 0)
            continue;
        char dpath[64];
        snprintf(dpath, sizeof dpath, "/proc/%ld/fd", p);
        DIR *fds = opendir(dpath);
        struct dirent *fe;
        bool sock = false;
        while (fds && (fe = readdir(fds))) {
            if (fe->d_name[0] == '.')
                continue;
            char l[128];
            if (!link_of((pid_t)p, fe->d_name, l, sizeof l))
                continue;
            bool pipe = !strncmp(l, "pipe:[", 6), efd = !strcmp(l, "anon_inode:[eventfd]");
            sock |= !strncmp(l, "socket:", 7);
            if (!pipe && !efd)
                continue;
            unsigned flags;
            unsigned long long id;
            if (!fdinfo((pid_t)p, fe->d_name, &flags, &id))
                continue;
            if (scan.n == scan.cap) {
                scan.cap = scan.cap ? 2 * scan.cap : 64;
                scan.e = cd_xrealloc(scan.e, scan.cap * sizeof *scan.e);
            }
            /* an eventfd is always writable; a pipe end when opened O_WRONLY or O_RDWR */
            scan.e[scan.n++] = (fdent){(pid_t)p, atoi(fe->d_name), efd || (flags & O_ACCMODE) != O_RDONLY,
                                       pipe ? strtoull(l + 6, NULL, 10) : id, efd};
        }
        if (fds)
            closedir(fds);
        if (sock) {
            if (scan.nsock == scan.capsock) {
                scan.capsock = scan.capsock ? 2 * scan.capsock : 16;
                scan.sock = cd_xrealloc(scan.sock, scan.capsock * sizeof *scan.sock);
            }
            scan.sock[scan.nsock++] = (pid_t)p;
        }
    }
    if (proc)
        closedir(proc);
}

/* Counts the writable ends of the object (pipe inode or eventfd-id) in PID and elsewhere; notes
 * whether PID holds a socket. */
static void find_writers(pid_t pid, unsigned long long key, bool eventfd, cd_dl_wait *w)
{
    scan_all();
    for (size_t i = 0; i < scan.nsock; i++)
        if (scan.sock[i] == pid)
            w->fd_sockets = true;
    for (size_t i = 0; i < scan.n; i++) {
        const fdent *e = &scan.e[i];
        if (e->key != key || e->eventfd != eventfd || !e->writable)
            continue;
        if (e->pid == pid) {
            if (w->fd_nwriters < sizeof w->fd_writers / sizeof w->fd_writers[0])
                w->fd_writers[w->fd_nwriters] = e->fd;
            w->fd_nwriters++;
        } else if (!w->fd_other_pid) {
            w->fd_other_pid = e->pid;
        }
    }
}

/* What fd FDN of the process is, and who could write to it, into w (kind, addr, writers). */
static void one_fd(cd_target *t, int fdn, bool reads, cd_dl_wait *w)
{
    char fd[24], l[128];
    snprintf(fd, sizeof fd, "%d", fdn);
    unsigned flags;
    unsigned long long evid;
    w->kind = CD_DL_FD;
    w->live_fd = true;
    if (!link_of(t->pid, fd, l, sizeof l) || !fdinfo(t->pid, fd, &flags, &evid))
        return;
    if (!strncmp(l, "pipe:[", 6)) {
        w->kind = CD_DL_PIPE;
        w->addr = strtoull(l + 6, NULL, 10);
        evid = 0;
    } else if (!strcmp(l, "anon_inode:[eventfd]") && evid) {
        w->kind = CD_DL_EVENTFD;
        w->addr = evid;
    } else {
        return;
    }
    if (reads && (flags & O_NONBLOCK)) { /* read does not sleep on it: whatever keeps it here, not this fd */
        w->kind = CD_DL_FD;
        return;
    }
    find_writers(t->pid, w->addr, w->kind == CD_DL_EVENTFD, w);
}

/* Adds one more polled fd to w: the first one is w's object; any other must be a pipe or eventfd
 * that only this process can write too, or the wait cannot be proven (fd_mixed). */
static void merge_fd(cd_target *t, int fdn, cd_dl_wait *w)
{
    if (w->fd_count++ == 0) {
        w->fd = fdn;
        one_fd(t, fdn, false, w);
        return;
    }
    cd_dl_wait o = {.tid = w->tid};
    one_fd(t, fdn, false, &o);
    if ((o.kind != CD_DL_PIPE && o.kind != CD_DL_EVENTFD) || !o.fd_nwriters)
        w->fd_mixed = true;
    if (o.fd_other_pid && !w->fd_other_pid)
        w->fd_other_pid = o.fd_other_pid;
    w->fd_sockets |= o.fd_sockets;
}

enum { SYS_POLL = 7, SYS_EPOLL_WAIT = 232, SYS_PPOLL = 271, SYS_EPOLL_PWAIT = 281, SYS_EPOLL_PWAIT2 = 441 };

bool cd_dl_classify_fd(cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w)
{
    if (sc->kind != CD_SC_BLOCKED)
        return false;
    long nr = sc->nr;
    const char *call = nr == SYS_READ ? "read" : nr == SYS_POLL ? "poll" : nr == SYS_PPOLL ? "ppoll"
                     : nr == SYS_EPOLL_WAIT ? "epoll_wait" : nr == SYS_EPOLL_PWAIT ? "epoll_pwait"
                     : nr == SYS_EPOLL_PWAIT2 ? "epoll_pwait2" : NULL;
    if (!call)
        return false;
    w->fd_call = call;
    w->fd = nr == SYS_READ ? (int)sc->args[0] : -1;
    /* timeouts: poll's and epoll_wait's int (< 0: none), ppoll's and epoll_pwait2's timespec */
    if (nr == SYS_POLL || nr == SYS_EPOLL_WAIT || nr == SYS_EPOLL_PWAIT)
        w->timed = (int)sc->args[nr == SYS_POLL ? 2 : 3] >= 0;
    else if (nr == SYS_PPOLL || nr == SYS_EPOLL_PWAIT2)
        w->timed = sc->args[nr == SYS_PPOLL ? 2 : 3] != 0;
    if (!t->caps.has_proc) {
        w->kind = CD_DL_FD; /* a core: what the fd is, and who could write it, is not recorded */
        return true;
    }
    if (nr == SYS_READ) {
        w->fd_count = 1;
        one_fd(t, w->fd, true, w);
        return true;
    }
    w->kind = CD_DL_FD;
    w->live_fd = true;
    if (nr == SYS_POLL || nr == SYS_PPOLL) {
        struct { int32_t fd; int16_t events, revents; } pf[16];
        size_t n = sc->args[1];
        if (n == 0 || n > sizeof pf / sizeof pf[0] || cd_target_read_full(t, sc->args[0], pf, n * sizeof pf[0]) != 0) {
            w->fd_mixed = true;
            return true;
        }
        for (size_t i = 0; i < n; i++) {
            if (pf[i].fd < 0)
                continue;
            if (pf[i].events & ~(0x1 | 0x40)) /* anything but POLLIN / POLLRDNORM: not a wait for a writer */
                w->fd_mixed = true;
            merge_fd(t, pf[i].fd, w);
        }
        if (!w->fd_count)
            w->kind = CD_DL_FD;
        return true;
    }
    /* epoll: the interest list is in the epoll fd's fdinfo ("tfd: N events: HEX ...") */
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)t->pid, (int)sc->args[0]);
    char *info = cd_read_file(path, NULL);
    for (const char *q = info; q && (q = strstr(q, "tfd:"));) {
        int tfd;
        unsigned ev;
        if (sscanf(q + 4, "%d events: %x", &tfd, &ev) == 2) {
            /* IN, RDNORM, ERR and HUP (the kernel adds those), ET, ONESHOT, EXCLUSIVE */
            if (ev & ~(0x1u | 0x40u | 0x8u | 0x10u | 0x80000000u | 0x40000000u | 0x10000000u))
                w->fd_mixed = true;
            merge_fd(t, tfd, w);
        }
        q += 4;
    }
    if (!info)
        w->fd_mixed = true;
    free(info);
    return true;
}
