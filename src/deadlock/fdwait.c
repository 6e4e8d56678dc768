/* A thread blocked in read(2), recv or poll on a pipe, an eventfd or a unix socketpair, and who
 * could ever write to it.
 *
 * Live only: what an fd is and who else holds it is kernel state, read from /proc. A pipe is
 * named by its inode (readlink "pipe:[N]"), an eventfd by the `eventfd-id` of its fdinfo; the
 * writers are every fd of every process that refers to the same object and was opened for writing
 * (fdinfo `flags`: O_WRONLY or O_RDWR; an eventfd is always writable). A named FIFO (a path, not
 * "pipe:[N]") may be opened by anyone later: a pipe wait never proven. A unix socket ("socket:[N]") is looked
 * up in one NETLINK_SOCK_DIAG dump per analysis (sockdiag.c): its writers are the holders of its
 * peer's inode; a named or listening socket (anyone may connect or send), one with no peer, or a peer
 * nobody visible holds (it may be in flight) is never proven, nor is one with bytes already queued
 * (the wait may end) or a read with a receive timeout (SO_RCVTIMEO, read through a pidfd_getfd copy).
 *
 * An end sent over a unix socket (SCM_RIGHTS) and not yet received is in no fd table. It sits in
 * a socket's queue: with the dump, a process may have one in flight when a unix socket it holds, or
 * that socket's peer, has bytes queued in either direction (only unix sockets carry fds); without
 * it, when the process holds any socket. Either way the wait is then never proven. The kernel does
 * not publish its in-flight count; a datagram of no bytes sent by a socket that has since closed is
 * not seen. */
#include "deadlock/deadlock.h"
#include "deadlock/state.h"
#include "deadlock/sockdiag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
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

/* Every pipe, eventfd and socket fd of every process: one scan of /proc and one socket dump per
 * analysis (cd_dl_fd_forget ends it), however many threads wait on them. */
typedef struct fdent {
    pid_t pid;
    int fd;
    bool writable;
    unsigned long long key; /* pipe inode, eventfd-id, or socket inode */
    bool eventfd, socket;
} fdent;

struct cd_dl_fdscan {
    bool valid;
    fdent *e;
    size_t n, cap;
    bool dumped;        /* the unix socket dump was tried */
    cd_unix_sock *us;   /* its sockets, by inode (NULL: no dump) */
    size_t nus;
    const char *us_why; /* why there is no dump */
    /* the one target process's answers, asked once per analysis, not once per waiting thread */
    pid_t pid;          /* the process they are for (0: none yet) */
    int netns;          /* its network namespace is cdbg's: 1, 0; -1 not asked */
    int inflight;       /* may_have_inflight: 1, 0; -1 not asked */
    int pidfd;          /* pidfd_open of it, -1 if it failed (valid when pid is set) */
    int pidfd_errno;
    struct fdres { int fd; bool reads; cd_dl_wait w; } *res; /* one_fd's answer per fd */
    size_t nres, capres;
};

void cd_dl_fdscan_free(struct cd_dl_fdscan *scan)
{
    if (!scan)
        return;
    free(scan->e);
    free(scan->us);
    free(scan->res);
    if (scan->pid && scan->pidfd >= 0)
        close(scan->pidfd);
    free(scan);
}

/* The per-process answers are for PID from now on. */
static void for_pid(struct cd_dl_fdscan *scan, pid_t pid)
{
    if (scan->pid == pid)
        return;
    if (scan->pid && scan->pidfd >= 0)
        close(scan->pidfd);
    scan->pid = pid;
    scan->netns = scan->inflight = -1;
    scan->pidfd = -2; /* opened on first use */
    scan->nres = 0;
}

/* The unix sockets of PID's network namespace, or NULL (why: *why). */
static const cd_unix_sock *unix_socks(struct cd_dl_fdscan *scan, pid_t pid, size_t *n, const char **why)
{
    if (!scan->dumped) {
        scan->dumped = true;
        if (!cd_dl_unix_dump(&scan->us, &scan->nus, &scan->us_why))
            scan->us = NULL;
    }
    *n = scan->nus;
    if (!scan->us) {
        *why = scan->us_why;
        return NULL;
    }
    for_pid(scan, pid);
    if (scan->netns < 0)
        scan->netns = cd_dl_same_netns(pid);
    if (!scan->netns) {
        *why = "the process is in another network namespace, whose sockets cdbg's diagnostics do not list";
        return NULL;
    }
    return scan->us;
}

/* Bytes queued in or sent from a unix socket: an fd may ride along (SCM_RIGHTS). */
static bool busy(const cd_unix_sock *u) { return u && (!u->has_rq || u->rq || (u->state != 10 && u->wq)); }

/* Whether an fd may be in flight through a socket PID holds (the conservative rule without a dump). */
static bool may_have_inflight(struct cd_dl_fdscan *scan, pid_t pid)
{
    size_t nus;
    const char *why;
    const cd_unix_sock *us = unix_socks(scan, pid, &nus, &why);
    if (scan->inflight >= 0)
        return scan->inflight;
    scan->inflight = 0;
    for (size_t i = 0; i < scan->n && !scan->inflight; i++) {
        const fdent *e = &scan->e[i];
        if (e->pid != pid || !e->socket)
            continue;
        const cd_unix_sock *u = us ? cd_dl_unix_find(us, nus, (uint32_t)e->key) : NULL;
        if (!us) /* no dump: any socket may carry one */
            scan->inflight = 1;
        else if (u && (busy(u) || (u->peer && busy(cd_dl_unix_find(us, nus, u->peer)))))
            scan->inflight = 1; /* (not a unix socket, or gone since: it cannot carry an fd) */
    }
    return scan->inflight;
}

static void scan_all(struct cd_dl_fdscan *scan)
{
    if (scan->valid)
        return;
    scan->valid = true;
    DIR *proc = opendir("/proc");
    struct dirent *pe;
    while (proc && (pe = readdir(proc))) {
        char *end;
        long p = strtol(pe->d_name, &end, 10);
        if (*end || p <= 0)
            continue;
        char dpath[64];
        snprintf(dpath, sizeof dpath, "/proc/%ld/fd", p);
        if (p == (long)getpid()) /* cdbg's own fds (a dup of a target's socket for a moment) */
            continue;
        DIR *fds = opendir(dpath);
        struct dirent *fe;
        while (fds && (fe = readdir(fds))) {
            if (fe->d_name[0] == '.')
                continue;
            char l[128];
            if (!link_of((pid_t)p, fe->d_name, l, sizeof l))
                continue;
            bool pipe = !strncmp(l, "pipe:[", 6), efd = !strcmp(l, "anon_inode:[eventfd]");
            bool sock = !strncmp(l, "socket:[", 8);
            if (!pipe && !efd && !sock)
                continue;
            unsigned flags = O_RDWR;
            unsigned long long id = 0;
            if (!sock && !fdinfo((pid_t)p, fe->d_name, &flags, &id))
                continue;
            if (scan->n == scan->cap) {
                scan->cap = scan->cap ? 2 * scan->cap : 64;
                scan->e = cd_xrealloc(scan->e, scan->cap * sizeof *scan->e);
            }
            /* an eventfd and a socket are always writable; a pipe end when opened O_WRONLY or O_RDWR */
            scan->e[scan->n++] = (fdent){(pid_t)p, atoi(fe->d_name), efd || sock || (flags & O_ACCMODE) != O_RDONLY,
                                       pipe ? strtoull(l + 6, NULL, 10) : sock ? strtoull(l + 8, NULL, 10) : id, efd, sock};
        }
        if (fds)
            closedir(fds);
    }
    if (proc)
        closedir(proc);
}

/* Counts the writable ends of the object (pipe inode, eventfd-id, or the peer socket's inode) in
 * PID and elsewhere; notes whether an end may be in flight through PID's sockets. */
static void find_writers(struct cd_dl_fdscan *scan, pid_t pid, unsigned long long key, cd_dl_kind kind, cd_dl_wait *w)
{
    scan_all(scan);
    w->fd_sockets |= may_have_inflight(scan, pid);
    for (size_t i = 0; i < scan->n; i++) {
        const fdent *e = &scan->e[i];
        if (e->key != key || e->eventfd != (kind == CD_DL_EVENTFD) || e->socket != (kind == CD_DL_SOCKET) || !e->writable)
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

/* SO_RCVTIMEO of the target's socket FD, through a copy of it (pidfd_getfd: nothing stops). */
static bool rcv_timeout(struct cd_dl_fdscan *scan, pid_t pid, int fd, bool *timed, char *err, size_t n)
{
    for_pid(scan, pid);
    if (scan->pidfd == -2) {
        scan->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        scan->pidfd_errno = errno;
    }
    int pfd = scan->pidfd;
    errno = scan->pidfd_errno;
    int s = pfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pfd, fd, 0) : -1;
    struct timeval tv = {0};
    socklen_t len = sizeof tv;
    bool ok = s >= 0 && getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0;
    if (!ok)
        snprintf(err, n, "its receive timeout (SO_RCVTIMEO) could not be read: %s", strerror(errno));
    if (s >= 0)
        close(s);
    *timed = tv.tv_sec || tv.tv_usec;
    return ok;
}

/* A unix socket W reads (addr: its inode): its peer, and the peer's holders as the writers. */
static void socket_writers(struct cd_dl_fdscan *scan, pid_t pid, bool reads, cd_dl_wait *w)
{
    size_t nus;
    const char *why = NULL;
    scan_all(scan);
    const cd_unix_sock *us = unix_socks(scan, pid, &nus, &why), *u = us ? cd_dl_unix_find(us, nus, (uint32_t)w->addr) : NULL;
    if (!us) {
        snprintf(w->fd_why, sizeof w->fd_why, "%s", why);
        return;
    }
    if (!u) { /* a TCP, UDP, netlink... socket: anyone may send to it */
        w->kind = CD_DL_FD;
        return;
    }
    w->sock_peer = u->peer;
    w->sock_pair = !u->named && u->state != 10 && u->peer;
    if (u->state == 10)
        snprintf(w->fd_why, sizeof w->fd_why, "it is a listening socket: any process may connect to it");
    else if (u->named)
        snprintf(w->fd_why, sizeof w->fd_why, "it is bound to a name: any process may connect or send to it");
    else if (!u->peer)
        snprintf(w->fd_why, sizeof w->fd_why, "it has no peer (not connected, or the other end is closed)");
    else if (!u->has_rq || u->rq)
        snprintf(w->fd_why, sizeof w->fd_why, "%u byte%s already queued to it: the wait may end", u->rq, u->rq == 1 ? " is" : "s are");
    if (w->fd_why[0])
        return;
    find_writers(scan, pid, u->peer, CD_DL_SOCKET, w);
    if (!w->fd_nwriters && !w->fd_other_pid)
        snprintf(w->fd_why, sizeof w->fd_why, "its other end socket:[%u] is in no fd table cdbg can see (it may be in flight)", u->peer);
    bool timed = false;
    if (reads && !w->fd_why[0] && !rcv_timeout(scan, pid, w->fd, &timed, w->fd_why, sizeof w->fd_why))
        return;
    w->timed |= timed;
}

/* What fd FDN of the process is, and who could write to it, into w (kind, addr, writers). */
/* fd of pid is a FIFO (the link is its path): its inode in *ino. */
static bool is_fifo(pid_t pid, const char *fd, uint64_t *ino)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)pid, fd);
    if (stat(path, &st) != 0 || !S_ISFIFO(st.st_mode))
        return false;
    *ino = st.st_ino;
    return true;
}

static void classify_one(struct cd_dl_fdscan *scan, cd_target *t, int fdn, bool reads, cd_dl_wait *w)
{
    char fd[24], l[256];
    snprintf(fd, sizeof fd, "%d", fdn);
    unsigned flags;
    unsigned long long evid;
    w->kind = CD_DL_FD;
    w->live_fd = true;
    if (!link_of(t->pid, fd, l, sizeof l) || !fdinfo(t->pid, fd, &flags, &evid))
        return;
    if (!strncmp(l, "socket:[", 8)) {
        if (reads && (flags & O_NONBLOCK))
            return;
        w->kind = CD_DL_SOCKET;
        w->addr = strtoull(l + 8, NULL, 10);
        socket_writers(scan, t->pid, reads, w);
        return;
    }
    if (!strncmp(l, "pipe:[", 6)) {
        w->kind = CD_DL_PIPE;
        w->addr = strtoull(l + 6, NULL, 10);
        evid = 0;
    } else if (!strcmp(l, "anon_inode:[eventfd]") && evid) {
        w->kind = CD_DL_EVENTFD;
        w->addr = evid;
    } else if (l[0] == '/' && is_fifo(t->pid, fd, &w->addr)) {
        /* a pipe with a name: a process that does not hold it yet may open it and write, so no wait
         * on it is ever proven; the lock held across it is still the shape of a hang (a warning) */
        if (reads && (flags & O_NONBLOCK)) {
            w->kind = CD_DL_FD;
            return;
        }
        w->kind = CD_DL_PIPE;
        snprintf(w->fd_why, sizeof w->fd_why, "it is the named FIFO %.200s: any process may open it and write", l);
        return;
    } else {
        return;
    }
    if (reads && (flags & O_NONBLOCK)) { /* read does not sleep on it: whatever keeps it here, not this fd */
        w->kind = CD_DL_FD;
        return;
    }
    find_writers(scan, t->pid, w->addr, w->kind, w);
}

/* classify_one, asked once per fd: a pool of threads often waits on one socket or pipe. */
static void one_fd(struct cd_dl_fdscan *scan, cd_target *t, int fdn, bool reads, cd_dl_wait *w)
{
    for_pid(scan, t->pid);
    const cd_dl_wait *r = NULL;
    for (size_t i = 0; i < scan->nres && !r; i++)
        if (scan->res[i].fd == fdn && scan->res[i].reads == reads)
            r = &scan->res[i].w;
    if (!r) {
        if (scan->nres == scan->capres) {
            scan->capres = scan->capres ? 2 * scan->capres : 16;
            scan->res = cd_xrealloc(scan->res, scan->capres * sizeof *scan->res);
        }
        struct fdres *n = &scan->res[scan->nres++];
        n->fd = fdn;
        n->reads = reads;
        n->w = (cd_dl_wait){.fd = fdn};
        classify_one(scan, t, fdn, reads, &n->w);
        r = &n->w;
    }
    w->kind = r->kind;
    w->live_fd = r->live_fd;
    w->addr = r->addr;
    w->sock_peer = r->sock_peer;
    w->sock_pair = r->sock_pair;
    memcpy(w->fd_why, r->fd_why, sizeof w->fd_why);
    memcpy(w->fd_writers, r->fd_writers, sizeof w->fd_writers);
    w->fd_nwriters = r->fd_nwriters;
    w->fd_other_pid = r->fd_other_pid;
    w->fd_sockets |= r->fd_sockets;
    w->timed |= r->timed;
}

/* Adds one more polled fd to w: the first one is w's object; any other must be a pipe, eventfd or
 * socketpair that only this process can write too, or the wait cannot be proven (fd_mixed). */
static void merge_fd(struct cd_dl_fdscan *scan, cd_target *t, int fdn, cd_dl_wait *w)
{
    if (w->fd_count++ == 0) {
        w->fd = fdn;
        one_fd(scan, t, fdn, false, w);
        return;
    }
    cd_dl_wait o = {.tid = w->tid};
    one_fd(scan, t, fdn, false, &o);
    if ((o.kind != CD_DL_PIPE && o.kind != CD_DL_EVENTFD && o.kind != CD_DL_SOCKET) || !o.fd_nwriters || o.fd_why[0])
        w->fd_mixed = true;
    if (o.fd_other_pid && !w->fd_other_pid)
        w->fd_other_pid = o.fd_other_pid;
    w->fd_sockets |= o.fd_sockets;
}

enum { SYS_RECVFROM = 45, SYS_RECVMSG = 47, SYS_POLL = 7, SYS_EPOLL_WAIT = 232, SYS_PPOLL = 271, SYS_EPOLL_PWAIT = 281, SYS_EPOLL_PWAIT2 = 441 };

bool cd_dl_classify_fd(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w)
{
    if (!st->fd) {
        st->fd = cd_xcalloc(1, sizeof *st->fd);
        st->fd->netns = st->fd->inflight = -1;
    }
    struct cd_dl_fdscan *scan = st->fd;
    if (sc->kind != CD_SC_BLOCKED)
        return false;
    long nr = sc->nr;
    const char *call = nr == SYS_READ ? "read" : nr == SYS_RECVFROM ? "recvfrom" : nr == SYS_RECVMSG ? "recvmsg" : nr == SYS_POLL ? "poll" : nr == SYS_PPOLL ? "ppoll"
                     : nr == SYS_EPOLL_WAIT ? "epoll_wait" : nr == SYS_EPOLL_PWAIT ? "epoll_pwait"
                     : nr == SYS_EPOLL_PWAIT2 ? "epoll_pwait2" : NULL;
    if (!call)
        return false;
    w->fd_call = call;
    bool reads = nr == SYS_READ || nr == SYS_RECVFROM || nr == SYS_RECVMSG;
    w->fd = reads ? (int)sc->args[0] : -1;
    /* timeouts: poll's and epoll_wait's int (< 0: none), ppoll's and epoll_pwait2's timespec */
    if (nr == SYS_POLL || nr == SYS_EPOLL_WAIT || nr == SYS_EPOLL_PWAIT)
        w->timed = (int)sc->args[nr == SYS_POLL ? 2 : 3] >= 0;
    else if (nr == SYS_PPOLL || nr == SYS_EPOLL_PWAIT2)
        w->timed = sc->args[nr == SYS_PPOLL ? 2 : 3] != 0;
    if (!t->caps.has_proc) {
        w->kind = CD_DL_FD; /* a core: what the fd is, and who could write it, is not recorded */
        return true;
    }
    if (reads) {
        w->fd_count = 1;
        one_fd(scan, t, w->fd, true, w);
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
            merge_fd(scan, t, pf[i].fd, w);
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
            merge_fd(scan, t, tfd, w);
        }
        q += 4;
    }
    if (!info)
        w->fd_mixed = true;
    free(info);
    return true;
}
