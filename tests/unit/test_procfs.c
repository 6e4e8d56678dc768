/* Unit tests for the /proc parsers (src/target/procfs.c) and the per-stop page cache, which need
 * no live process: the cache runs over a fake target whose memory is a local buffer. */
#include "target/procfs.h"
#include "target/target.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        bool ok_ = (cond);                                                           \
        printf("%s: %s (line %d)\n", ok_ ? "ok" : "FAIL", #cond, __LINE__);          \
        if (!ok_)                                                                    \
            failures++;                                                              \
    } while (0)

static void test_stat(void)
{
    char name[17], st;
    CHECK(cd_procfs_parse_stat("1234 (bash) S 1 1234 1234 34816 ...", name, &st) == 0);
    CHECK(strcmp(name, "bash") == 0 && st == 'S');
    /* a comm with spaces and parentheses: the name ends at the last ')' */
    CHECK(cd_procfs_parse_stat("77 (a) b (c)) t 1 2 3", name, &st) == 0);
    CHECK(strcmp(name, "a) b (c)") == 0 && st == 't');
    CHECK(cd_procfs_parse_stat("77 (0123456789abcdefXYZ) R 1", name, &st) == 0);
    CHECK(strlen(name) == 16 && st == 'R');
    CHECK(cd_procfs_parse_stat("garbage", name, &st) == -1);
    CHECK(cd_procfs_parse_stat("1 (x)", name, &st) == -1);
}

static void test_comm(void)
{
    char name[17];
    cd_procfs_parse_comm("worker-3\n", name);
    CHECK(strcmp(name, "worker-3") == 0);
    cd_procfs_parse_comm("", name);
    CHECK(name[0] == 0);
}

static void test_syscall(void)
{
    cd_syscall_state s;
    CHECK(cd_procfs_parse_syscall("running\n", &s) == 0);
    CHECK(s.kind == CD_SC_RUNNING && s.nr == -1);
    CHECK(cd_procfs_parse_syscall("-1 0x7ffd1234 0x401000\n", &s) == 0);
    CHECK(s.kind == CD_SC_RUNNING && s.nr == -1 && s.sp == 0x7ffd1234 && s.pc == 0x401000);
    CHECK(cd_procfs_parse_syscall("202 0x7f00aa10 0x80 0x2 0x0 0x0 0x0 0x7ffc0000 0x7f11223344\n", &s) == 0);
    CHECK(s.kind == CD_SC_BLOCKED && s.nr == 202 && s.args[0] == 0x7f00aa10 && s.args[1] == 0x80 &&
          s.args[2] == 2 && s.sp == 0x7ffc0000 && s.pc == 0x7f11223344);
    CHECK(cd_procfs_parse_syscall("0 0x3 0x7ffe 0x1 0x0 0x0 0x0 0x7ffd 0x4011", &s) == 0);
    CHECK(s.kind == CD_SC_BLOCKED && s.nr == 0 && s.args[0] == 3);
    CHECK(cd_procfs_parse_syscall("202 0x1 0x2\n", &s) == -1);
    CHECK(cd_procfs_parse_syscall("", &s) == -1);
    CHECK(cd_procfs_parse_syscall("xyz", &s) == -1 && s.kind == CD_SC_UNKNOWN);
}

static void test_status(void)
{
    const char *txt = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4321\nNgid:\t0\n"
                      "Pid:\t4321\nPPid:\t100\nTracerPid:\t555\nUid:\t0\t0\t0\t0\nThreads:\t3\n";
    cd_proc_status st;
    CHECK(cd_procfs_parse_status(txt, &st) == 0);
    CHECK(st.state == 'S' && st.tgid == 4321 && st.ppid == 100 && st.tracer_pid == 555 && st.threads == 3);
    CHECK(cd_procfs_parse_status("State:\tZ (zombie)\nTracerPid:\t0\n", &st) == 0);
    CHECK(st.state == 'Z' && st.tracer_pid == 0 && st.tgid == -1);
    CHECK(cd_procfs_parse_status("Name:\tx\n", &st) == -1);
}

static void test_maps(void)
{
    const char *txt =
        "55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1311 /usr/bin/cat\n"
        "55d0c0a02000-55d0c0a07000 r-xp 00002000 08:01 1311 /usr/bin/cat\n"
        "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
        "7f1000000000-7f1000001000 ---p 00000000 00:00 0\n"
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
        "7f2000000000-7f2000001000 r--s 00001000 00:05 99 /tmp/my file (deleted)\n"
        "this line is not a mapping\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";
    cd_mapping *m;
    size_t n;
    CHECK(cd_procfs_parse_maps(txt, &m, &n) == 0);
    CHECK(n == 7);
    if (n == 7) {
        CHECK(m[0].start == 0x55d0c0a00000 && m[0].end == 0x55d0c0a02000 && m[0].prot == PROT_READ);
        CHECK(strcmp(m[0].path, "/usr/bin/cat") == 0);
        CHECK(m[1].offset == 0x2000 && m[1].prot == (PROT_READ | PROT_EXEC));
        CHECK(m[2].path == NULL && m[2].prot == (PROT_READ | PROT_WRITE));
        CHECK(m[3].path == NULL && m[3].prot == 0);
        CHECK(m[4].path && strcmp(m[4].path, "[stack]") == 0);
        CHECK(m[5].path && strcmp(m[5].path, "/tmp/my file (deleted)") == 0 && m[5].offset == 0x1000);
        CHECK(m[6].start == 0xffffffffff600000ull && m[6].prot == PROT_EXEC);
    }
    cd_procfs_free_maps(m, n);
    CHECK(cd_procfs_parse_maps("", &m, &n) == 0 && n == 0);
    cd_procfs_free_maps(m, n);
}

/* ---- a fake target for the page cache: 3 readable pages, then a hole, then one page ---- */

static unsigned char fake_mem[5 * 4096];
static const uint64_t FAKE_BASE = 0x10000;
static int fake_reads;

static ssize_t fake_read(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    (void)t;
    fake_reads++;
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done;
        if (a < FAKE_BASE || a >= FAKE_BASE + sizeof fake_mem || (a >= FAKE_BASE + 3 * 4096 && a < FAKE_BASE + 4 * 4096))
            break;
        ((unsigned char *)buf)[done++] = fake_mem[a - FAKE_BASE];
    }
    if (done == 0) {
        errno = EFAULT;
        return -1;
    }
    return (ssize_t)done;
}

static void test_memcache(void)
{
    for (size_t i = 0; i < sizeof fake_mem; i++)
        fake_mem[i] = (unsigned char)(i * 7 + 3);
    cd_target_ops ops = {.kind = "fake", .read_mem = fake_read};
    cd_target t = {.ops = &ops};
    cd_memcache *c = cd_memcache_new(&t);
    unsigned char buf[8192];

    CHECK(cd_memcache_read(c, FAKE_BASE + 10, buf, 4) == 0 && buf[0] == fake_mem[10] && buf[3] == fake_mem[13]);
    int before = fake_reads;
    CHECK(cd_memcache_read(c, FAKE_BASE + 100, buf, 8) == 0 && buf[0] == fake_mem[100]);
    CHECK(fake_reads == before); /* served from the cache */
    /* across a page boundary */
    CHECK(cd_memcache_read(c, FAKE_BASE + 4090, buf, 12) == 0 && buf[5] == fake_mem[4095] && buf[6] == fake_mem[4096]);
    /* a large read spanning three pages */
    CHECK(cd_memcache_read(c, FAKE_BASE + 1, buf, 8192) == 0 && memcmp(buf, fake_mem + 1, 8192) == 0);
    /* into the hole: fails, and the unreadable page is remembered */
    CHECK(cd_memcache_read(c, FAKE_BASE + 3 * 4096 - 2, buf, 4) == -1);
    before = fake_reads;
    CHECK(cd_memcache_read(c, FAKE_BASE + 3 * 4096 + 8, buf, 1) == -1);
    CHECK(fake_reads == before);
    CHECK(cd_memcache_read(c, FAKE_BASE + 4 * 4096, buf, 16) == 0 && buf[0] == fake_mem[4 * 4096]);
    /* a new stop invalidates the cache */
    fake_mem[10] ^= 0xff;
    CHECK(cd_memcache_read(c, FAKE_BASE + 10, buf, 1) == 0 && buf[0] != fake_mem[10]);
    t.stop_gen++;
    CHECK(cd_memcache_read(c, FAKE_BASE + 10, buf, 1) == 0 && buf[0] == fake_mem[10]);
    cd_memcache_free(c);

    /* read_full / read_str over the same fake */
    CHECK(cd_target_read_full(&t, FAKE_BASE + 3 * 4096 - 4, buf, 8) == -1);
    CHECK(cd_target_read_full(&t, FAKE_BASE, buf, 64) == 0 && buf[63] == fake_mem[63]);
    memcpy(fake_mem + 3 * 4096 - 6, "hello", 6);
    char s[64];
    CHECK(cd_target_read_str(&t, FAKE_BASE + 3 * 4096 - 6, s, sizeof s) == 0 && strcmp(s, "hello") == 0);
    memcpy(fake_mem + 3 * 4096 - 3, "abc", 3); /* unterminated before the hole */
    CHECK(cd_target_read_str(&t, FAKE_BASE + 3 * 4096 - 3, s, sizeof s) == 0 && strcmp(s, "abc") == 0);
    CHECK(cd_target_read_str(&t, FAKE_BASE + 3 * 4096, s, sizeof s) == -1);
    CHECK(cd_target_read_str(&t, FAKE_BASE + 1, s, 4) == 0 && strlen(s) == 3);
}

static void test_parse_pid(void)
{
    cd_err err;
    pid_t pid;
    CHECK(cd_parse_pid("abc", &pid, &err) == -1 && err.code == CD_EXIT_USAGE);
    CHECK(strstr(err.msg, "'abc' is not a process ID") != NULL);
    CHECK(cd_parse_pid("", &pid, &err) == -1 && err.code == CD_EXIT_USAGE);
    CHECK(cd_parse_pid("12x", &pid, &err) == -1 && err.code == CD_EXIT_USAGE);
    CHECK(cd_parse_pid("999999999", &pid, &err) == -1 && err.code == CD_EXIT_TARGET);
    CHECK(strstr(err.msg, "no process with PID 999999999") != NULL);
    char self[32];
    snprintf(self, sizeof self, "%d", (int)getpid());
    CHECK(cd_parse_pid(self, &pid, &err) == -1 && err.code == CD_EXIT_TARGET);
    CHECK(cd_parse_pid("1", &pid, &err) == 0 && pid == 1);
}

/* cd_procfs_sc_read keeps the file of the thread it read last open: it must still answer for
 * the thread asked (not the one kept), with the line as it is now (not as it was first read), and
 * fail for a thread that is gone; cd_procfs_read_syscall reads once. Threads of this process, each blocked in read() on its own pipe
 * (the fd in the line tells them apart). */
typedef struct sc_thr {
    int fds[2], fds2[2];
    pid_t tid;
    volatile int started;
} sc_thr;

static void *sc_reader(void *arg)
{
    sc_thr *t = arg;
    t->tid = (pid_t)syscall(SYS_gettid);
    __atomic_store_n(&t->started, 1, __ATOMIC_SEQ_CST);
    char c;
    if (read(t->fds[0], &c, 1) == 1 && c == 'm') /* moved on: now blocked on the second pipe */
        (void)!read(t->fds2[0], &c, 1);
    return NULL;
}

/* Waits (bounded, observed) until thread TID of PID is gone from /proc: pthread_join returns when
 * the thread has cleared its TID, a moment before the kernel removes the task. */
static void task_gone(pid_t pid, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tid);
    const struct timespec tick = {0, 1000 * 1000};
    for (int i = 0; i < 120 * 1000 && access(path, F_OK) == 0; i++)
        nanosleep(&tick, NULL);
}

/* Waits (bounded, not timed: the line is observed) until TID sleeps in read(FD), reading the file
 * afresh each time, bypassing the cache under test. */
static bool sc_wait_in_read(pid_t tid, int fd)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    const struct timespec tick = {0, 1000 * 1000};
    for (int i = 0; i < 120 * 1000; i++) {
        char *s = cd_read_file(path, NULL);
        cd_syscall_state st;
        bool in = s && cd_procfs_parse_syscall(s, &st) == 0 && st.kind == CD_SC_BLOCKED && st.nr == SYS_read &&
                  st.args[0] == (uint64_t)fd;
        free(s);
        if (in)
            return true;
        nanosleep(&tick, NULL);
    }
    return false;
}

/* Two reader threads, each blocked in read on its first pipe once this returns true. */
static bool start_readers(sc_thr *a, sc_thr *b, pthread_t *ta, pthread_t *tb)
{
    if (pipe(a->fds) || pipe(a->fds2) || pipe(b->fds) || pipe(b->fds2) || pthread_create(ta, NULL, sc_reader, a) ||
        pthread_create(tb, NULL, sc_reader, b)) {
        CHECK(!"cannot make the reader threads");
        return false;
    }
    while (!__atomic_load_n(&a->started, __ATOMIC_SEQ_CST) || !__atomic_load_n(&b->started, __ATOMIC_SEQ_CST))
        sched_yield();
    return true;
}

static void close_readers(sc_thr *a, sc_thr *b)
{
    for (int i = 0; i < 2; i++) {
        close(a->fds[i]);
        close(a->fds2[i]);
        close(b->fds[i]);
        close(b->fds2[i]);
    }
}

static void test_read_syscall(void)
{
    sc_thr a = {0}, b = {0};
    pthread_t ta, tb;
    if (!start_readers(&a, &b, &ta, &tb))
        return;
    pid_t pid = getpid();
    CHECK(sc_wait_in_read(a.tid, a.fds[0]) && sc_wait_in_read(b.tid, b.fds[0]));
    cd_syscall_state s;
    cd_procfs_sc_reader rd = CD_PROCFS_SC_READER_INIT;
    CHECK(cd_procfs_sc_read(&rd, pid, b.tid, &s) == 0 && s.kind == CD_SC_BLOCKED && s.args[0] == (uint64_t)b.fds[0]);
    /* two threads at the same place, different arguments: each read answers for its own thread */
    CHECK(cd_procfs_sc_read(&rd, pid, a.tid, &s) == 0 && s.kind == CD_SC_BLOCKED && s.args[0] == (uint64_t)a.fds[0]);
    CHECK(cd_procfs_sc_read(&rd, pid, a.tid, &s) == 0 && s.args[0] == (uint64_t)a.fds[0]);
    CHECK(cd_procfs_sc_read(&rd, pid, b.tid, &s) == 0 && s.args[0] == (uint64_t)b.fds[0]);
    CHECK(cd_procfs_sc_read(&rd, pid, a.tid, &s) == 0 && s.args[0] == (uint64_t)a.fds[0]);
    /* the thread moves on to another read while its file is the one kept open: the second read
     * shows where it is now */
    CHECK(write(a.fds[1], "m", 1) == 1);
    CHECK(sc_wait_in_read(a.tid, a.fds2[0]));
    CHECK(cd_procfs_sc_read(&rd, pid, a.tid, &s) == 0 && s.kind == CD_SC_BLOCKED && s.args[0] == (uint64_t)a.fds2[0]);
    /* a thread that is gone has no line, though its file was the one kept open */
    CHECK(cd_procfs_sc_read(&rd, pid, b.tid, &s) == 0 && s.args[0] == (uint64_t)b.fds[0]);
    CHECK(write(b.fds[1], "x", 1) == 1);
    pthread_join(tb, NULL);
    task_gone(pid, b.tid);
    CHECK(cd_procfs_sc_read(&rd, pid, b.tid, &s) == -1);
    CHECK(write(a.fds2[1], "x", 1) == 1);
    pthread_join(ta, NULL);
    task_gone(pid, a.tid);
    CHECK(cd_procfs_sc_read(&rd, pid, a.tid, &s) == -1);
    CHECK(cd_procfs_sc_read(&rd, pid, 0x7ffffff0, &s) == -1);
    CHECK(cd_procfs_read_syscall(pid, a.tid, &s) == -1);
    CHECK(rd.fd == -1);
    cd_procfs_sc_close(&rd);
    close_readers(&a, &b);
}

/* cd_procfs_read_stats: each thread's own name and state, in the list's order, with the helper
 * thread at work (past STATS_HELPER_MIN threads) and without it; a TID that is gone is not ok. */
#define NSTAT 80
typedef struct stat_thr {
    int fd;
    _Atomic pid_t tid;
} stat_thr;

static void *stat_sleeper(void *arg)
{
    stat_thr *t = arg;
    atomic_store(&t->tid, (pid_t)syscall(SYS_gettid));
    char c;
    (void)!read(t->fd, &c, 1); /* until the write end is closed */
    return NULL;
}

static void test_read_stats(void)
{
    int p[2];
    pthread_t th[NSTAT];
    static stat_thr t[NSTAT];
    pid_t tids[NSTAT + 1];
    CHECK(pipe(p) == 0);
    for (int i = 0; i < NSTAT; i++) {
        t[i].fd = p[0];
        CHECK(pthread_create(&th[i], NULL, stat_sleeper, &t[i]) == 0);
        char name[16];
        snprintf(name, sizeof name, "st-%d", i);
        pthread_setname_np(th[i], name);
        while (!(tids[i] = atomic_load(&t[i].tid)))
            sched_yield();
    }
    tids[NSTAT] = 0x7ffffff0;
    /* 3 threads: no helper; 81, ten times: the helper reads some of them whatever the timing */
    for (int rep = 0; rep < 11; rep++) {
        size_t n = rep == 0 ? 3 : NSTAT + 1;
        cd_procfs_stat st[NSTAT + 1];
        memset(st, 0x55, sizeof st);
        cd_procfs_read_stats(getpid(), tids, n, st);
        int bad = 0;
        for (size_t i = 0; i < n && i < NSTAT; i++) {
            char want[16];
            snprintf(want, sizeof want, "st-%zu", i);
            bad += !st[i].ok || strcmp(st[i].name, want) != 0 || (st[i].state != 'S' && st[i].state != 'R');
        }
        CHECK(bad == 0);
        if (n == NSTAT + 1)
            CHECK(!st[NSTAT].ok);
    }
    close(p[1]);
    for (int i = 0; i < NSTAT; i++)
        pthread_join(th[i], NULL);
    close(p[0]);
}

int main(void)
{
    test_stat();
    test_comm();
    test_syscall();
    test_read_syscall();
    test_read_stats();
    test_status();
    test_maps();
    test_memcache();
    test_parse_pid();
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures != 0;
}
