/* The trace core's compiled plan (src/trace/trace.c) against its general path, on the same
 * records: `cdbg trace` with CDBG_TRACE_PLAN=check evaluates every value of every entry both ways
 * (the plan from the record's registers and stack bytes; the general path through the snapshot
 * target and the DWARF evaluator) and counts the values whose text (or JSON) differ. For gcc and
 * clang at -O0 and -O2, the inline and uprobe backends, text and --json: every value is compared
 * (the plan covers these functions: a count short of calls x values fails), none differs. Then
 * (inline with text, uprobe with --json and --ret) the plan's own output (the default) against
 * CDBG_TRACE_PLAN=off on two runs without ASLR: the same lines once the thread ids, timestamps and
 * durations are taken out; and every JSON line is what json-c writes for it.
 * usage: unit_test_trace_plan CDBG PROGRAM_SOURCE */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#define CALLS 200

static int failures;
static char tmp[] = "/tmp/cdbg-plan-XXXXXX";

#define CHECK(c, ...)                                                                                                  \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    s[n] = 0;
    fclose(f);
    return s;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The output with what differs between two runs taken out: "[tid N]", "ts_ns":N, "tid":N and
 * "dur_ns":N. */
static void strip_run(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        const char *keys[] = {"[tid ", "\"ts_ns\":", "\"tid\":", "\"dur_ns\":"};
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (!strncmp(r, keys[i], strlen(keys[i])))
                k = i;
        if (k < 0) {
            *w++ = *r++;
            continue;
        }
        size_t kl = strlen(keys[k]);
        memmove(w, r, kl);
        w += kl;
        r += kl;
        while (*r >= '0' && *r <= '9')
            r++;
    }
    *w = 0;
}

/* One checked run: every value compared, none differs. */
static void check_run(const char *cdbg, const char *prog, const char *backend, const char *json, const char *pattern,
                      const char *exprs, long want_values, long want_compact, const char *what)
{
    char cmd[4096], err[600], out[600];
    snprintf(out, sizeof out, "%s/out", tmp);
    snprintf(err, sizeof err, "%s/err", tmp);
    snprintf(cmd, sizeof cmd, "CDBG_TRACE_PLAN=check %s trace --backend %s %s %s -o %s '%s' -- %s %d >/dev/null 2>%s",
             cdbg, backend, json, exprs, out, pattern, prog, CALLS, err);
    int rc = sh(cmd);
    char *e = slurp(err);
    CHECK(rc == 0, "%s: exit %d: %s", what, rc, e ? e : "");
    const char *l = e ? strstr(e, "plan check: ") : NULL;
    unsigned long long probes = 0, compared = 0, differ = 1, compact = 0;
    CHECK(l && sscanf(l, "plan check: %llu planned probes, %llu values compared, %llu differ, %llu compact records",
                      &probes, &compared, &differ, &compact) == 4,
          "%s: no plan check line: %s", what, e ? e : "");
    CHECK(differ == 0, "%s: %llu values differ: %s", what, differ, l ? l : "");
    CHECK(compared == (unsigned long long)want_values, "%s: %llu values compared, want %ld (a value the plan does not cover?): %s",
          what, compared, want_values, l ? l : "");
    /* compact records (the inline backend's, when every probe's values are whole registers): the
     * general path then sees only those registers, and must still agree with the plan */
    CHECK(compact == (unsigned long long)want_compact, "%s: %llu entries came as compact records, want %ld: %s", what,
          compact, want_compact, l ? l : "");
    free(e);
}

/* The plan's output against the general path's, over two runs of the same program. */
static void same_output(const char *cdbg, const char *prog, const char *backend, const char *json, const char *pattern,
                        int nfuncs, const char *what)
{
    char cmd[4096], a[600], b[600];
    snprintf(a, sizeof a, "%s/plan", tmp);
    snprintf(b, sizeof b, "%s/general", tmp);
    /* uprobe with --json: --ret too, the return events' JSON (the inline backend has no --ret yet;
     * durations differ between runs: not with text) */
    const char *ret = *json && !strcmp(backend, "uprobe") ? "--ret" : "";
    snprintf(cmd, sizeof cmd, "%s trace --backend %s %s %s -o %s '%s' -- %s %d >/dev/null 2>&1", cdbg, backend, json, ret,
             a, pattern, prog, CALLS);
    CHECK(sh(cmd) == 0, "%s: %s failed", what, cmd);
    snprintf(cmd, sizeof cmd, "CDBG_TRACE_PLAN=off %s trace --backend %s %s %s -o %s '%s' -- %s %d >/dev/null 2>&1",
             cdbg, backend, json, ret, b, pattern, prog, CALLS);
    CHECK(sh(cmd) == 0, "%s: %s failed", what, cmd);
    char *x = slurp(a), *y = slurp(b);
    CHECK(x && y, "%s: no output", what);
    if (x && y) {
        /* the hand-written JSON is what json-c writes: each line read and written back by json-c */
        char *copy = strdup(x);
        for (char *ln = copy; *json && ln && *ln;) {
            char *nl = strchr(ln, '\n');
            if (nl)
                *nl = 0;
            json_object *o = json_tokener_parse(ln);
            const char *back = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "(does not parse)";
            CHECK(!strcmp(back, ln), "%s: a JSON line is not json-c's: %s, json-c: %s", what, ln, back);
            json_object_put(o);
            ln = nl ? nl + 1 : NULL;
        }
        free(copy);
        strip_run(x);
        strip_run(y);
        size_t lines = 0;
        for (char *p = x; *p; p++)
            lines += *p == '\n';
        int want = nfuncs * CALLS * (*ret ? 2 : 1);
        CHECK(lines == (size_t)want, "%s: %zu lines, want %d", what, lines, want);
        CHECK(!strcmp(x, y), "%s: the plan's output differs from the general path's", what);
    }
    free(x);
    free(y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CDBG PROGRAM_SOURCE\n", argv[0]);
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: the uprobe backend needs root\n");
        return 77;
    }
    /* the same addresses in two runs of a program (ptrs' pointers): no ASLR for the children */
    personality(ADDR_NO_RANDOMIZE);
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 2;
    }
    const char *ccs[] = {"gcc", "clang"}, *opts[] = {"-O0", "-O2"};
    const char *backends[] = {"inline", "uprobe"}, *jsons[] = {"", "--json"};
    for (int c = 0; c < 2; c++) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null", ccs[c]);
        if (sh(cmd) != 0) {
            const char *ci = getenv("CI");
            fprintf(stderr, "%s: %s is not installed\n", ci && *ci ? "FAIL" : "SKIP", ccs[c]);
            if (ci && *ci)
                failures++;
            continue;
        }
        for (int o = 0; o < 2; o++) {
            char prog[600];
            snprintf(prog, sizeof prog, "%s/prog_%s%s", tmp, ccs[c], opts[o]);
            snprintf(cmd, sizeof cmd, "%s -g %s -fno-inline -o %s %s", ccs[c], opts[o], prog, argv[2]);
            if (sh(cmd) != 0) {
                CHECK(0, "%s failed", cmd);
                continue;
            }
            for (int b = 0; b < 2; b++)
                for (int j = 0; j < 2; j++) {
                    char what[256];
                    snprintf(what, sizeof what, "%s %s, %s backend%s%s", ccs[c], opts[o], backends[b], *jsons[j] ? ", " : "",
                             jsons[j]);
                    /* ints' 8 arguments, leaf's 1, nonleaf's 2, small_s's and small_b's 1, ptrs' 4, at
                     * every call; clang -O2's small_b is left to the general path (DW_OP_convert) */
                    bool nob = c == 1 && o == 1;
                    const char *pat = nob ? "^(ints|leaf|nonleaf|small_s|ptrs)$" : "^(ints|leaf|nonleaf|small_s|small_b|ptrs)$";
                    /* ints' g and h are on the stack: full records */
                    check_run(argv[1], prog, backends[b], jsons[j], pat, "", (nob ? 16L : 17L) * CALLS, 0, what);
                    /* at -O2 every argument of these is in a register at the entry: the inline
                     * backend's compact records (at -O0 they are in the frame: full records) */
                    const char *rpat = nob ? "^(leaf|nonleaf|small_s|ptrs)$" : "^(leaf|nonleaf|small_s|small_b|ptrs)$";
                    long rfuncs = nob ? 4 : 5, want_compact = o == 1 && b == 0 ? rfuncs * CALLS : 0;
                    check_run(argv[1], prog, backends[b], jsons[j], rpat, "", (nob ? 8L : 9L) * CALLS, want_compact, what);
                    if (b != j)
                        continue;
                    /* -e names of parameters, two of them passed on the stack */
                    check_run(argv[1], prog, backends[b], jsons[j], "^ints$", "-e a -e g -e h", 11L * CALLS, 0, what);
                    /* -e of a register parameter: still compact */
                    check_run(argv[1], prog, backends[b], jsons[j], "^leaf$", "-e x", 2L * CALLS,
                              o == 1 && b == 0 ? CALLS : 0, what);
                    /* inline with text, uprobe with JSON (and --ret) */
                    same_output(argv[1], prog, backends[b], jsons[j], "^(ints|leaf|nonleaf|small_s|small_b|ptrs)$", 6,
                                what);
                    /* and with compact records (inline, -O2) against the general path's full ones */
                    same_output(argv[1], prog, backends[b], jsons[j], "^(leaf|nonleaf|small_s|small_b|ptrs)$", 5, what);
                }
        }
    }
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    sh(rm);
    return failures ? 1 : 0;
}
