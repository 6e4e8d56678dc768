/* `cdbg deadlock PID | EXE CORE [--json]`: one look, one verdict, the target left running. */
#include "deadlock/deadlock.h"
#include "output/output.h"
#include "target/open.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: cdbg deadlock PID [--json]\n"
    "       cdbg deadlock EXE CORE [--json]\n"
    "Finds lock cycles, self-deadlocks, orphaned locks and threads blocked on them, without\n"
    "stopping threads that run. Exit status: 0 none, 3 found, 1 error, 2 usage error,\n"
    "4 cannot attach to the process or open the executable/core.\n";

/* Prints the error; its exit status is the failure's: 2 usage, 4 cannot attach or open (as
 * `cdbg attach` and `cdbg core`), 1 an analysis that could not be done. */
static int fail(cd_out *o, const cd_err *err)
{
    cd_out_error(o, "deadlock", err->msg);
    return err->code > 0 ? err->code : CD_EXIT_CMD;
}

int cd_deadlock_main(int argc, char **argv)
{
    bool json = false;
    const char *pos[3];
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return CD_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cdbg: deadlock: unknown option '%s'; see `cdbg deadlock --help`\n", argv[i]);
            return CD_EXIT_USAGE;
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            npos++;
        }
    }
    cd_out out;
    cd_out_init(&out, json);
    cd_err err;
    cd_err_clear(&err);
    char why[160];
    snprintf(why, sizeof why,
             "deadlock needs a PID or an EXE and its CORE (got %d argument%s): usage cdbg deadlock PID | "
             "cdbg deadlock EXE CORE [--json]",
             npos, npos == 1 ? "" : "s");
    cd_open_spec spec = {.mode = CD_ATTACH_NONSTOP, .strict_core = true};
    if (cd_open_parse(&spec, CD_OPEN_ANY, npos, (char *const *)pos, why, &err) < 0)
        return fail(&out, &err);
    cd_target *t = cd_target_open(&spec, &err);
    if (!t)
        return fail(&out, &err);
    if (t->warning)
        cd_out_warn(&out, "%s", t->warning);

    int rc = CD_EXIT_CMD;
    cd_symtab *sym = cd_symtab_new(t, &err);
    cd_unwinder *unw = NULL;
    cd_dl_result res;
    if (!sym)
        goto done;
    cd_err uerr;
    unw = cd_unwinder_new(t, sym, &uerr); /* without it: no frames, same verdict */
    cd_dl_options opt = {.confirm_ms = -1, .no_refresh = true, };
    if (cd_deadlock_analyze(t, sym, unw, &opt, &res, &err) != 0)
        goto done;
    /* The target is released before printing: a slow terminal must not hold it. */
    cd_unwinder_free(unw);
    unw = NULL;
    if (json) {
        cd_out_json(&out, cd_dl_result_json(&res));
    } else {
        cd_buf b = {0};
        cd_dl_format_text(&res, &b);
        cd_out_printf(&out, "%s", cd_buf_str(&b));
        cd_buf_free(&b);
    }
    rc = cd_dl_found(&res) ? CD_EXIT_FOUND : CD_EXIT_OK;
    cd_dl_result_free(&res);
done:
    cd_unwinder_free(unw);
    cd_symtab_free(sym);
    cd_target_close(t);
    if (rc == CD_EXIT_CMD)
        return fail(&out, &err);
    return rc;
}
