/* tests/bench/bench_trace.py's driver of the ptrace tracepoint backend (src/trace/ptrace.c) until
 * `cdbg trace --backend ptrace` exists: launches PROG, puts one probe at ADDR (the script finds
 * work's address with nm: the program is not PIE), writes "x=N" (the int argument) per hit to OUT,
 * as gdb's dprintf does, and prints "hits=H dropped=D ns=T" with T the time from arm to the
 * program's end. Not a test. */
#include "trace/backend.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int sink(void *arg, const cd_trace_rec *r)
{
    fprintf(arg, "x=%d\n", (int)r->regs.rdi);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ADDR OUT PROG [ARGS...]\n", argv[0]);
        return 2;
    }
    uint64_t addr = strtoull(argv[1], NULL, 0);
    FILE *out = fopen(argv[2], "w");
    cd_err err;
    cd_target *t = out ? cd_live_launch(&argv[3], &err) : NULL;
    if (!t) {
        fprintf(stderr, "%s\n", out ? err.msg : "cannot open the output file");
        return 1;
    }
    cd_trace_env env = {.t = t, .pid = t->pid};
    cd_trace_backend *b = cd_tb_ptrace_new(&env, &err);
    cd_probe p = {.id = 1, .addr = addr, .at_entry = true, .func = "work"};
    if (!b || b->ops->add(b, &p, &err) < 0 || b->ops->arm(b, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    uint64_t t0 = cd_now_ns();
    while (b->ops->poll(b, -1, sink, out, &err) >= 0)
        ;
    uint64_t ns = cd_now_ns() - t0;
    uint64_t hits, dropped;
    b->ops->counts(b, 1, &hits, &dropped);
    fclose(out);
    printf("hits=%" PRIu64 " dropped=%" PRIu64 " ns=%" PRIu64 "\n", hits, dropped, ns);
    b->ops->disarm(b, &err);
    b->ops->free(b);
    cd_target_close(t);
    return 0;
}
