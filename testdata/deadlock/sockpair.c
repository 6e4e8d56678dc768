/* A reader holds log_mu while it blocks reading a unix socketpair whose only other end is held by
 * this process; the writer needs log_mu before it writes to that end; main joins the reader: no
 * thread can ever write.
 *   sockpair           a stream socketpair, read(2)
 *   sockpair dgram     a datagram socketpair, read(2)
 *   sockpair recv      the reader waits in recv(2) (recvfrom)
 *   sockpair poll      the reader waits in poll(2) (no timeout) before it reads
 *   sockpair child     the look-alike: a child process (running) also holds the other end
 *   sockpair queued    the look-alike: a byte is already queued; the reader waits in an
 *                      edge-triggered epoll_wait(2) whose edge it has already taken
 *   sockpair inflight  the look-alike: the other end is in flight (sent with SCM_RIGHTS over a
 *                      second socketpair and closed); the writer would receive it first
 *   sockpair named     the look-alike: the reader's socket is bound to an abstract name (anyone may
 *                      send to it)
 *   sockpair timeo     the look-alike: the reader's socket has a receive timeout (SO_RCVTIMEO)
 * Prints "ready" once the reader sleeps in its call and the writer in futex(2). */
#include "dl_common.h"

#include <poll.h>
#include <stddef.h>
#include <sys/time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int rfd = -1, wfd = -1, carrier[2] = {-1, -1};
static pid_t reader_tid;
static const char *mode = "";

static int in_syscall(pid_t tid, const char *nr)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strncmp(buf, nr, strlen(nr)) == 0;
}

static void *reader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    __atomic_store_n(&reader_tid, dl_gettid(), __ATOMIC_SEQ_CST);
    char buf[8];
    ssize_t n;
    if (!strcmp(mode, "poll")) {
        struct pollfd pf = {.fd = rfd, .events = POLLIN};
        (void)poll(&pf, 1, -1);
    }
    if (!strcmp(mode, "queued")) {
        /* the byte main queued raised the edge once; the second wait sleeps with it still queued */
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET}, out;
        epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
        (void)epoll_wait(ep, &out, 1, -1);
        (void)epoll_wait(ep, &out, 1, -1);
    }
    if (!strcmp(mode, "recv"))
        n = recv(rfd, buf, sizeof buf, 0);
    else
        n = read(rfd, buf, sizeof buf);
    pthread_mutex_unlock(&log_mu);
    return (void *)(long)n;
}

static void *writer(void *arg)
{
    (void)arg;
    const char *nr = !strcmp(mode, "poll") ? "7 " : !strcmp(mode, "recv") ? "45 " : !strcmp(mode, "queued") ? "232 " : "0 ";
    while (!__atomic_load_n(&reader_tid, __ATOMIC_SEQ_CST) || !in_syscall(reader_tid, nr))
        dl_sleep_ms(2);
    dl_will_block();
    pthread_mutex_lock(&log_mu);
    if (wfd < 0) { /* the other end is in flight: take it out of the carrier first */
        char c;
        char ctl[CMSG_SPACE(sizeof(int))];
        struct iovec io = {&c, 1};
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        if (recvmsg(carrier[1], &m, 0) == 1 && CMSG_FIRSTHDR(&m))
            memcpy(&wfd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof wfd);
    }
    char msg[8] = "log";
    if (write(wfd, msg, sizeof msg) < 0)
        perror("write");
    pthread_mutex_unlock(&log_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "";
    int type = !strcmp(mode, "dgram") || !strcmp(mode, "named") ? SOCK_DGRAM : SOCK_STREAM;
    int sv[2];
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0)
        return 1;
    rfd = sv[0];
    wfd = sv[1];
    if (!strcmp(mode, "named")) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int k = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "cdbg-sockpair-%d", (int)getpid());
        if (bind(rfd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + k)) != 0) {
            perror("bind");
            return 1;
        }
    }
    if (!strcmp(mode, "queued") && write(wfd, "x", 1) != 1)
        return 1;
    if (!strcmp(mode, "timeo")) {
        struct timeval tv = {3600, 0};
        if (setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
            return 1;
    }
    if (!strcmp(mode, "inflight")) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, carrier) != 0)
            return 1;
        char c = 'f', ctl[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec io = {&c, 1};
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &wfd, sizeof wfd);
        if (sendmsg(carrier[0], &m, 0) != 1)
            return 1;
        struct stat st; /* the inode the test expects named, which no fd table will show */
        if (fstat(wfd, &st) == 0)
            fprintf(stderr, "in flight: socket:[%lu]\n", (unsigned long)st.st_ino);
        close(wfd);
        wfd = -1;
    }
    pid_t parent = getpid();
    if (!strcmp(mode, "child") && fork() == 0) {
        /* holds the other end and could write at any time; it waits for its parent to go */
        close(rfd);
        for (;;) {
            if (getppid() != parent)
                _exit(0);
            dl_sleep_ms(100);
        }
    }
    pthread_t r, w;
    pthread_create(&r, NULL, reader, NULL);
    pthread_setname_np(r, "reader");
    pthread_create(&w, NULL, writer, NULL);
    pthread_setname_np(w, "writer");
    dl_ready(1);
    pthread_join(r, NULL);
    return 0;
}
