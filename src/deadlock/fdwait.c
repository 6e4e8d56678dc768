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

/* Every process's fds: counts the writable ends of the object (link, eventfd id) in PID and
 * elsewhere; notes whether PID holds a socket. */
static void find_writers(pid_t pid, const char *want, unsigned long long evid, cd_dl_wait *w)
{
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
        while (fds && (fe = readdir(fds))) {
            if (fe->d_name[0] == '.')
                continue;
            char l[128];
            if (!link_of((pid_t)p, fe->d_name, l, sizeof l))
                continue;
            if (p == pid && !strncmp(l, "socket:", 7))
                w->fd_sockets = true;
            if (strcmp(l, want) != 0)
                continue;
            unsigned flags;
            unsigned long long id;
            if (!fdinfo((pid_t)p, fe->d_name, &flags, &id))
                continue;
            bool writable = evid ? id == evid : (flags & O_ACCMODE) != O_RDONLY;
            if (!writable)
                continue;
            if (p == pid) {
                if (w->fd_nwriters < sizeof w->fd_writers / sizeof w->fd_writers[0])
                    w->fd_writers[w->fd_nwriters] = atoi(fe->d_name);
                w->fd_nwriters++;
            } else if (!w->fd_other_pid) {
                w->fd_other_pid = (pid_t)p;
            }
        }
        if (fds)
            closedir(fds);
    }
    if (proc)
        closedir(proc);
}

bool cd_dl_classify_fd(cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w)
{
    if (sc->kind != CD_SC_BLOCKED || sc->nr != SYS_READ)
        return false;
    w->fd = (int)sc->args[0];
    if (!t->caps.has_proc) {
        w->kind = CD_DL_FD; /* a core: what the fd is, and who could write it, is not recorded */
        return true;
    }
    char fd[24], l[128];
    snprintf(fd, sizeof fd, "%d", w->fd);
    unsigned flags;
    unsigned long long evid;
    if (!link_of(t->pid, fd, l, sizeof l) || !fdinfo(t->pid, fd, &flags, &evid))
        return false;
    if (!strncmp(l, "pipe:[", 6)) {
        w->kind = CD_DL_PIPE;
        w->addr = strtoull(l + 6, NULL, 10);
        evid = 0;
    } else if (!strcmp(l, "anon_inode:[eventfd]") && evid) {
        w->kind = CD_DL_EVENTFD;
        w->addr = evid;
    } else {
        w->kind = CD_DL_FD;
        w->live_fd = true;
        return true;
    }
    if (flags & O_NONBLOCK) { /* it does not sleep in read: whatever keeps it here, it is not this fd */
        w->kind = CD_DL_FD;
        w->live_fd = true;
        return true;
    }
    find_writers(t->pid, l, evid, w);
    return true;
}
