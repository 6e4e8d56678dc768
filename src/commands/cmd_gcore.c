/* `cdbg gcore [-o FILE] [--force] [--all] [--no-snapshot] [--json] PID` and the prompt's
 * `dump FILE` (alias gcore): a core of the live process, written by src/target/gcore.c. */
#include "commands/cmd_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: cdbg gcore [-o FILE] [--force] [--all] [--no-snapshot] [--json] PID\n"
    "Writes a core of process PID to FILE (default core.PID), mode 0600, and prints its path; the\n"
    "process runs on, untraced. Exit status: 0 written, 1 the core could not be written, 2 usage\n"
    "error, 4 cannot attach to the process.\n";

static void report(cd_out *out, const char *cmd, const char *path, pid_t pid, const cd_gcore_result *r)
{
    double stopped = (double)r->stopped_ns / 1e6, total = (double)r->total_ns / 1e6;
    if (out->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "command", json_object_new_string(cmd));
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "pid", json_object_new_int(pid));
        json_object_object_add(o, "threads", cd_json_u64(r->threads));
        json_object_object_add(o, "missing_threads", cd_json_u64(r->missing));
        json_object_object_add(o, "segments", cd_json_u64(r->segments));
        json_object_object_add(o, "bytes", cd_json_u64(r->bytes));
        json_object_object_add(o, "snapshot", json_object_new_boolean(r->snapshot));
        json_object_object_add(o, "stopped_ms", json_object_new_double(stopped));
        json_object_object_add(o, "total_ms", json_object_new_double(total));
        cd_out_json(out, o);
    } else {
        cd_out_printf(out, "%s\n", path);
    }
    /* on stderr in both modes: a pipeline reading the path from stdout still sees the pause */
    fprintf(stderr, "gcore: process %d paused %.3f ms (%s); %zu threads, %" PRIu64 " bytes in %.1f ms\n", (int)pid,
            stopped,
            r->snapshot ? "registers and a copy-on-write snapshot"
            : r->stopped_ns ? "held while its memory was copied"
                            : "already stopped",
            r->threads, r->bytes, total);
    if (r->missing)
        fprintf(stderr, "gcore: warning: %zu thread%s could not be stopped (uninterruptible sleep) and %s not in the core\n",
                r->missing, r->missing == 1 ? "" : "s", r->missing == 1 ? "is" : "are");
    if (!r->snapshot && r->why_held[0] && r->stopped_ns)
        fprintf(stderr, "gcore: no snapshot (%s): memory was copied while the threads were held\n", r->why_held);
}

int cd_gcore_main(int argc, char **argv)
{
    cd_gcore_opts o = {.snapshot = true};
    bool json = false;
    const char *pidarg = NULL, *file = NULL;
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--force")) {
            o.force = true;
        } else if (!strcmp(a, "--all")) {
            o.all = true;
        } else if (!strcmp(a, "--no-snapshot")) {
            o.snapshot = false;
        } else if (!strcmp(a, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cdbg: gcore: -o needs a FILE; see `cdbg gcore --help`\n");
                return CD_EXIT_USAGE;
            }
            file = argv[++i];
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return CD_EXIT_OK;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "cdbg: gcore: unknown option '%s'; see `cdbg gcore --help`\n", a);
            return CD_EXIT_USAGE;
        } else {
            pidarg = a;
            npos++;
        }
    }
    cd_out out;
    cd_out_init(&out, json);
    cd_err err;
    cd_err_clear(&err);
    if (npos != 1) {
        cd_out_error(&out, "gcore", "gcore needs one PID: usage cdbg gcore [-o FILE] [--force] [--all] PID");
        return CD_EXIT_USAGE;
    }
    pid_t pid;
    if (cd_parse_pid(pidarg, &pid, &err) < 0) {
        cd_out_error(&out, "gcore", err.msg);
        return err.code ? err.code : CD_EXIT_USAGE;
    }
    char *def = file ? NULL : cd_xasprintf("core.%d", (int)pid);
    o.path = file ? file : def;
    /* look, don't touch: nothing is held until gcore takes the registers, and the threads it
     * releases are detached at once */
    cd_target *t = cd_live_attach(pid, CD_ATTACH_NONSTOP, &err);
    if (!t) {
        cd_out_error(&out, "gcore", err.msg);
        free(def);
        return err.code ? err.code : CD_EXIT_TARGET;
    }
    cd_gcore_result r;
    int rc = cd_gcore(t, &o, &r, &err);
    cd_target_close(t);
    if (rc < 0) {
        cd_out_error(&out, "gcore", err.msg);
        free(def);
        return CD_EXIT_CMD;
    }
    report(&out, "gcore", o.path, pid, &r);
    free(def);
    return CD_EXIT_OK;
}

int cd_cmd_gcore(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_gcore_opts o = {.snapshot = true};
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--force"))
            o.force = true;
        else if (!strcmp(argv[i], "--all"))
            o.all = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: unknown option '%s': usage dump FILE [--force] [--all]",
                            argv[0], argv[i]);
        else if (file)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s takes one FILE (got '%s' and '%s'): usage dump FILE",
                            argv[0], file, argv[i]);
        else
            file = argv[i];
    }
    if (!s->target)
        return cd_fail(err, CD_EXIT_CMD, "%s needs a live process: attach PID or run PROG first", argv[0]);
    char *def = file ? NULL : cd_xasprintf("core.%d", (int)s->target->pid);
    o.path = file ? file : def;
    cd_gcore_result r;
    int rc = cd_gcore(s->target, &o, &r, err);
    if (rc == 0)
        report(&s->out, "dump", o.path, s->target->pid, &r);
    free(def);
    return rc;
}
