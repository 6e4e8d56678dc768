/* Unit tests of the deadlock detector's pure parts: SCCs, verdicts on synthetic wait graphs, and
 * the futex-word classifier against synthetic glibc 2.36 memory images (fake target). */
#include "deadlock/deadlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                                 \
    do {                                                                         \
        if (!(c)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

/* ---- SCC ---- */

static size_t scc_of(size_t n, const size_t (*edges)[2], size_t ne, size_t *comp)
{
    size_t *off = calloc(n + 1, sizeof *off), *adj = calloc(ne ? ne : 1, sizeof *adj);
    for (size_t i = 0; i < ne; i++)
        off[edges[i][0] + 1]++;
    for (size_t i = 0; i < n; i++)
        off[i + 1] += off[i];
    size_t *fill = calloc(n ? n : 1, sizeof *fill);
    for (size_t i = 0; i < ne; i++) {
        size_t a = edges[i][0];
        adj[off[a] + fill[a]++] = edges[i][1];
    }
    size_t k = cd_dl_scc(n, off, adj, comp);
    free(off);
    free(adj);
    free(fill);
    return k;
}

static void test_scc(void)
{
    size_t comp[16];
    /* 0->1->2->0, 3->0, 4 alone, 5<->6 */
    const size_t e1[][2] = {{0, 1}, {1, 2}, {2, 0}, {3, 0}, {5, 6}, {6, 5}};
    size_t k = scc_of(7, e1, 6, comp);
    CHECK(k == 4);
    CHECK(comp[0] == comp[1] && comp[1] == comp[2]);
    CHECK(comp[3] != comp[0] && comp[4] != comp[0] && comp[5] == comp[6] && comp[5] != comp[0]);
    /* nested: 0->1->2->1, 2->3->0: all one component */
    const size_t e2[][2] = {{0, 1}, {1, 2}, {2, 1}, {2, 3}, {3, 0}};
    k = scc_of(4, e2, 5, comp);
    CHECK(k == 1);
    /* no edges */
    k = scc_of(3, e2, 0, comp);
    CHECK(k == 3);
    /* a long chain closing into a cycle: no recursion depth problem */
    size_t n = 100000;
    size_t *off = malloc((n + 1) * sizeof *off), *adj = malloc(n * sizeof *adj), *c = malloc(n * sizeof *c);
    for (size_t i = 0; i < n; i++) {
        off[i] = i;
        adj[i] = i + 1 < n ? i + 1 : n / 2;
    }
    off[n] = n;
    k = cd_dl_scc(n, off, adj, c);
    CHECK(k == n / 2 + 1);
    CHECK(c[n / 2] == c[n - 1] && c[0] != c[n - 1]);
    free(off);
    free(adj);
    free(c);
}

/* ---- verdicts ---- */

/* One classification with its own analysis state, as cd_deadlock_analyze makes one per run. */
static void classify1(cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w)
{
    cd_dl_state *st = cd_dl_state_new();
    cd_dl_classify(st, t, sc, w);
    cd_dl_state_free(st);
}

static cd_dl_result graph(size_t n, const int *next, const bool *gone)
{
    cd_dl_result r = {0};
    r.waits = calloc(n, sizeof *r.waits);
    r.nwaits = n;
    for (size_t i = 0; i < n; i++) {
        r.waits[i].tid = (pid_t)(100 + i);
        r.waits[i].kind = CD_DL_MUTEX;
        r.waits[i].next = next[i];
        r.waits[i].owner = next[i] >= 0 ? (pid_t)(100 + next[i]) : 0;
        r.waits[i].owner_gone = gone && gone[i];
        if (r.waits[i].owner_gone)
            r.waits[i].owner = 999;
    }
    cd_dl_verdict(&r);
    return r;
}

static size_t count_findings(const cd_dl_result *r, cd_dl_finding_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        n += r->findings[i].kind == k;
    return n;
}

static void test_verdict(void)
{
    /* ABBA plus a thread waiting on A, plus contention (4 waits on 5 which runs) */
    const int n1[] = {1, 0, 0, -1, 5, -1};
    cd_dl_result r = graph(6, n1, NULL);
    CHECK(r.ncycles == 1 && r.cycles[0].n == 2);
    CHECK(r.cycles[0].waits[0] == 0 && r.cycles[0].waits[1] == 1);
    CHECK(r.nfindings == 1 && r.findings[0].kind == CD_DLF_BLOCKED && r.findings[0].wait == 2);
    CHECK(cd_dl_found(&r));
    cd_dl_result_free(&r);

    /* ring of five in wait-for order starting at the lowest index */
    const int n2[] = {3, 0, 4, 2, 1};
    r = graph(5, n2, NULL);
    CHECK(r.ncycles == 1 && r.cycles[0].n == 5);
    CHECK(r.cycles[0].waits[0] == 0 && r.cycles[0].waits[1] == 3 && r.cycles[0].waits[2] == 2 &&
          r.cycles[0].waits[3] == 4 && r.cycles[0].waits[4] == 1);
    CHECK(r.nfindings == 0);
    cd_dl_result_free(&r);

    /* self-deadlock, and a chain onto it */
    const int n3[] = {0, 0, 1, -1};
    r = graph(4, n3, NULL);
    CHECK(r.ncycles == 0);
    CHECK(count_findings(&r, CD_DLF_SELF) == 1 && count_findings(&r, CD_DLF_BLOCKED) == 2);
    cd_dl_result_free(&r);

    /* orphaned lock and a waiter behind it */
    const int n4[] = {-1, 0, -1};
    const bool g4[] = {true, false, false};
    r = graph(3, n4, g4);
    CHECK(count_findings(&r, CD_DLF_ORPHAN) == 1 && count_findings(&r, CD_DLF_BLOCKED) == 1);
    CHECK(r.ncycles == 0);
    cd_dl_result_free(&r);

    /* contention only: nothing */
    const int n5[] = {-1, 0, 0, 0};
    r = graph(4, n5, NULL);
    CHECK(!cd_dl_found(&r));
    cd_dl_result_free(&r);

    /* two independent cycles */
    const int n6[] = {1, 0, 3, 4, 2};
    r = graph(5, n6, NULL);
    CHECK(r.ncycles == 2 && r.cycles[0].n == 2 && r.cycles[1].n == 3);
    CHECK(r.waits[4].cycle == 1);
    cd_dl_result_free(&r);
}

/* ---- classifier on a fake target ---- */

typedef struct region {
    uint64_t addr;
    unsigned char bytes[2048];
} region;

typedef struct fake {
    cd_target t;
    region r[4];
} fake;

static ssize_t fake_read(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    fake *f = (fake *)t;
    for (int i = 0; i < 4; i++) {
        region *r = &f->r[i];
        if (addr >= r->addr && addr + len <= r->addr + sizeof r->bytes) {
            memcpy(buf, r->bytes + (addr - r->addr), len);
            return (ssize_t)len;
        }
    }
    return -1;
}

static const cd_target_ops fake_ops = {.kind = "fake", .read_mem = fake_read};

static void put32(fake *f, uint64_t a, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        if (a >= f->r[i].addr && a + 4 <= f->r[i].addr + sizeof f->r[i].bytes) {
            memcpy(f->r[i].bytes + (a - f->r[i].addr), &v, 4);
            return;
        }
    abort();
}

static void put64(fake *f, uint64_t a, uint64_t v)
{
    put32(f, a, (uint32_t)v);
    put32(f, a + 4, (uint32_t)(v >> 32));
}

static fake *fake_new(void)
{
    fake *f = calloc(1, sizeof *f);
    f->t.ops = &fake_ops;
    f->r[0].addr = 0x10000;  /* "globals" */
    f->r[1].addr = 0x200000; /* a struct pthread */
    f->r[2].addr = 0x7f0000; /* a stack */
    return f;
}

static cd_syscall_state futex(uint64_t uaddr, unsigned op, uint32_t val)
{
    cd_syscall_state sc = {.kind = CD_SC_BLOCKED, .nr = 202, .args = {uaddr, op, val}, .sp = 0x7f0100, .pc = 0x1234};
    return sc;
}

static void test_classify(void)
{
    fake *f = fake_new();
    cd_dl_wait w = {.tid = 50};
    cd_syscall_state sc;

    /* plain mutex at 0x10000 held by 42, waiter sleeps with 2 (private) */
    put32(f, 0x10000, 2);
    put32(f, 0x10008, 42);
    put32(f, 0x1000c, 1);
    sc = futex(0x10000, 128, 2);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_MUTEX && w.addr == 0x10000 && w.owner == 42);

    /* the word moved (being woken): no edge */
    sc = futex(0x10000, 128, 1);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_FUTEX && w.owner == 0);

    /* robust mutex: word = owner | FUTEX_WAITERS, kind robust */
    put32(f, 0x10040, 0x80000000u | 77);
    put32(f, 0x10048, 77);
    put32(f, 0x10050, 0x10);
    sc = futex(0x10040, 0, 0x80000000u | 77);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_MUTEX && w.owner == 77);

    /* PI mutex: FUTEX_LOCK_PI, owner in the word */
    put32(f, 0x10080, 0x80000000u | 88);
    put32(f, 0x10088, 88);
    put32(f, 0x10090, 0x20);
    sc = futex(0x10080, 6 | 128, 0);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_MUTEX && w.owner == 88);

    /* rwlock at 0x10100 write-locked by 61: a writer waits on __writers_futex (+12) */
    uint64_t rw = 0x10100;
    put32(f, rw + 0, 3);  /* WRPHASE | WRLOCKED */
    put32(f, rw + 8, 3);
    put32(f, rw + 12, 3);
    put32(f, rw + 24, 61);
    sc = futex(rw + 12, 9 | 128 | 256, 3);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_RWLOCK && w.addr == rw && w.owner == 61);
    /* a reader waits on __wrphase_futex (+8) */
    sc = futex(rw + 8, 9 | 128 | 256, 3);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_RWLOCK && w.addr == rw && w.owner == 61);

    /* rwlock at 0x10200 held by 2 readers, a writer waits for the read phase (+8, value 2) */
    uint64_t rr = 0x10200;
    put32(f, rr + 0, (2u << 3) | 0);
    put32(f, rr + 8, 2);
    sc = futex(rr + 8, 9 | 128, 2);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_RWLOCK && w.addr == rr && w.owner == 0 && w.by_readers && w.nreaders == 2);

    /* pthread_join: struct pthread at 0x200000 (tcb and self point to it), tid 73 at +720 */
    put64(f, 0x200000, 0x200000);
    put64(f, 0x200010, 0x200000);
    put32(f, 0x200000 + 720, 73);
    sc = futex(0x200000 + 720, 9 | 256, 73);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_THREAD && w.owner == 73 && w.addr == 0x200000);

    /* condvar at 0x10300: a waiter on __g_signals[0] (+40) expecting 0, __wrefs (+36) = 2 waiters
     * << 3, __g_refs[0] (+16) = 2 per waiter of group 0 */
    put32(f, 0x10300 + 36, 2u << 3);
    put32(f, 0x10300 + 16, 2u * 2);
    sc = futex(0x10300 + 40, 9 | 128 | 256, 0);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_CONDVAR && w.addr == 0x10300 && w.owner == 0);
    /* the same word expecting another value is no condvar wait: an unknown futex */
    put32(f, 0x10300 + 40, 8);
    sc = futex(0x10300 + 40, 9 | 128, 8);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_FUTEX && w.futex == 0x10300 + 40);
    put32(f, 0x10300 + 40, 0);
    /* nor without a waiter counted in __g_refs */
    put32(f, 0x10300 + 16, 0);
    sc = futex(0x10300 + 40, 9 | 128 | 256, 0);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_FUTEX);
    put32(f, 0x10300 + 16, 2u * 2);

    /* PI dead end: zero word on the own stack, a PI mutex owned by 91 referenced from the stack */
    put32(f, 0x10400, 0x80000000u | 91);
    put32(f, 0x10408, 91);
    put32(f, 0x10410, 0x20);
    put64(f, 0x7f0100 + 0x48, 0x10400);
    sc = futex(0x7f0100 + 0x20, 9 | 128, 0);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_MUTEX && w.pi_deadend && w.owner == 91 && w.addr == 0x10400);

    /* not a futex wait */
    sc = (cd_syscall_state){.kind = CD_SC_BLOCKED, .nr = 35};
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_NONE);
    sc = (cd_syscall_state){.kind = CD_SC_RUNNING};
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_NONE);
    /* futex wake: not a wait */
    sc = futex(0x10000, 1 | 128, 1);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_NONE);
    /* unreadable word */
    sc = futex(0x900000, 128, 2);
    classify1(&f->t, &sc, &w);
    CHECK(w.kind == CD_DL_FUTEX);
    free(f);
}

static void test_report(void)
{
    const int n1[] = {1, 0, 0};
    cd_dl_result r = graph(3, n1, NULL);
    r.pid = 99;
    r.nthreads = 4;
    r.waits[0].symbol = strdup("lock_b");
    r.waits[0].frame = strdup("worker_a at abba.c:16");
    cd_buf b = {0};
    cd_dl_format_text(&r, &b);
    CHECK(strstr(b.s, "DEADLOCK in process 99: 1 cycle, 3 threads blocked forever") != NULL);
    CHECK(strstr(b.s, "thread 100 waits for mutex lock_b (0x0), held by thread 101") != NULL);
    CHECK(strstr(b.s, "    in worker_a at abba.c:16") != NULL);
    CHECK(strstr(b.s, "blocked on the deadlock:") != NULL);
    cd_buf_free(&b);
    json_object *o = cd_dl_result_json(&r);
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    CHECK(strstr(s, "\"deadlock\":true") != NULL);
    CHECK(strstr(s, "\"kind\":\"blocked-on-deadlock\"") != NULL);
    CHECK(strstr(s, "\"symbol\":\"lock_b\",\"owner_tid\":101") != NULL);
    json_object_put(o);
    cd_dl_result_free(&r);
}

int main(void)
{
    test_scc();
    test_verdict();
    test_classify();
    test_report();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
