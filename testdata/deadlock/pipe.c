/* A reader holds log_mu while it blocks in read() on a pipe whose only write end is in this
 * process; the writer needs log_mu before it writes; main joins the reader: nobody can ever write.
 *   pipe eventfd   the same with an eventfd
 *   pipe child     the look-alike: a child process also holds the pipe's write end (it could write)
 *   pipe poll      the reader waits in poll(2) (no timeout) before it reads
 *   pipe epoll     the reader waits in epoll_wait(2) (no timeout) before it reads
 *   pipe polltimed the look-alike: the reader's poll has a (long) timeout
 *   pipe socket    the look-alike: a copy of the write end is in flight (SCM_RIGHTS) over a unix
 *                  socketpair the process holds: whoever receives it could write
 *   pipe sockidle  the hang, with an idle unix socketpair held: nothing is queued on it (the
 *                  kernel's socket diagnostics say so), so no end can be in flight
 *   pipe fifo PATH the look-alike: the pipe is the named FIFO PATH (made here), which any process
 *                  may open and write
 * Prints "ready" once the reader sleeps in read(2) and the writer in futex(2). */
#include "dl_common.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int rfd = -1, wfd = -1;
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
    if (!strncmp(mode, "poll", 4)) {
        struct pollfd pf = {.fd = rfd, .events = POLLIN};
        (void)poll(&pf, 1, strcmp(mode, "polltimed") ? -1 : 3600 * 1000);
    } else if (!strcmp(mode, "epoll")) {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN}, out;
        epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
        (void)epoll_wait(ep, &out, 1, -1);
    }
    char buf[8];
    ssize_t n = read(rfd, buf, sizeof buf);
    pthread_mutex_unlock(&log_mu);
    return (void *)(long)n;
}

static void *writer(void *arg)
{
    (void)arg;
    const char *nr = !strncmp(mode, "poll", 4) ? "7 " : !strcmp(mode, "epoll") ? "232 " : "0 ";
    while (!__atomic_load_n(&reader_tid, __ATOMIC_SEQ_CST) || !in_syscall(reader_tid, nr))
        dl_sleep_ms(2);
    dl_will_block();
    pthread_mutex_lock(&log_mu);
    uint64_t one = 1;
    if (write(wfd, &one, sizeof one) < 0)
        perror("write");
    pthread_mutex_unlock(&log_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "eventfd")) {
        rfd = wfd = eventfd(0, EFD_CLOEXEC);
    } else if (!strcmp(mode, "fifo")) {
        if (argc < 3 || mkfifo(argv[2], 0600) != 0 || (rfd = open(argv[2], O_RDWR | O_CLOEXEC)) < 0 ||
            (wfd = open(argv[2], O_WRONLY | O_CLOEXEC)) < 0)
            return 1;
    } else {
        int p[2];
        if (pipe(p) != 0)
            return 1;
        rfd = p[0];
        wfd = p[1];
    }
    int sv[2];
    if (!strncmp(mode, "sock", 4) && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    if (!strcmp(mode, "socket")) {
        char c = 'w', ctl[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec io = {&c, 1};
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &wfd, sizeof wfd);
        if (sendmsg(sv[0], &m, 0) != 1)
            return 1;
    }
    pid_t parent = getpid();
    if (!strcmp(mode, "child") && fork() == 0) {
        /* holds the write end and could write at any time; it waits for its parent to go (then
         * it is reparented, to init or a subreaper) */
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
