/* A dump of the unix sockets through NETLINK_SOCK_DIAG (what `ss -x` reads): each socket's inode,
 * its peer's inode, whether it is bound to a name or listening, and its queues. The kernel answers
 * for the caller's network namespace only; one dump serves a whole analysis. */
#include "deadlock/sockdiag.h"
#include "util/util.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_ino(const void *a, const void *b)
{
    uint32_t x = ((const cd_unix_sock *)a)->ino, y = ((const cd_unix_sock *)b)->ino;
    return x < y ? -1 : x > y;
}

const cd_unix_sock *cd_dl_unix_find(const cd_unix_sock *v, size_t n, uint32_t ino)
{
    cd_unix_sock key = {.ino = ino};
    return v && n ? bsearch(&key, v, n, sizeof *v, by_ino) : NULL;
}

bool cd_dl_same_netns(pid_t pid)
{
    char path[64];
    struct stat a, b;
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* One message of the dump into v; false on a malformed one. */
static bool one_msg(const struct nlmsghdr *h, cd_unix_sock *s)
{
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
        return false;
    const struct unix_diag_msg *m = NLMSG_DATA(h);
    *s = (cd_unix_sock){.ino = m->udiag_ino, .type = m->udiag_type, .state = m->udiag_state};
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    for (const struct rtattr *a = (const void *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == UNIX_DIAG_NAME)
            s->named = true; /* a path, or an abstract name (it starts with a NUL) */
        else if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
            memcpy(&s->peer, RTA_DATA(a), sizeof s->peer);
        else if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= sizeof(struct unix_diag_rqlen)) {
            struct unix_diag_rqlen q;
            memcpy(&q, RTA_DATA(a), sizeof q);
            s->rq = q.udiag_rqueue;
            s->wq = q.udiag_wqueue;
            s->has_rq = true;
        }
    }
    return true;
}

bool cd_dl_unix_dump(cd_unix_sock **out, size_t *n, const char **why)
{
    *out = NULL;
    *n = 0;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        *why = "NETLINK_SOCK_DIAG is not available";
        return false;
    }
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req r;
    } req = {
        .nlh = {.nlmsg_len = sizeof req, .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
        .r = {.sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN},
    };
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&nl, sizeof nl) != (ssize_t)sizeof req) {
        close(fd);
        *why = "NETLINK_SOCK_DIAG refused the request";
        return false;
    }
    size_t cap = 0;
    cd_unix_sock *v = NULL;
    bool ok = false, done = false;
    long buf[8192 / sizeof(long)]; /* aligned for nlmsghdr */
    while (!done) {
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        int len = (int)k;
        for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = ok = true;
                break;
            }
            if (h->nlmsg_type == NLMSG_ERROR) { /* no unix_diag in this kernel: ENOENT */
                done = true;
                break;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
                continue;
            if (*n == cap) {
                cap = cap ? 2 * cap : 256;
                v = cd_xrealloc(v, cap * sizeof *v);
            }
            if (one_msg(h, &v[*n]))
                (*n)++;
        }
    }
    close(fd);
    if (!ok) {
        free(v);
        *n = 0;
        *why = "the kernel's unix socket diagnostics (unix_diag) did not answer";
        return false;
    }
    qsort(v, *n, sizeof *v, by_ino);
    *out = v;
    return true;
}
