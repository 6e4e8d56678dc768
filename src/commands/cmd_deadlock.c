/* REPL `deadlock` and `locks`: the same analysis as `cdbg deadlock`, on the session's target.
 * Threads the session already holds stay held; threads stopped only to read a stack are released. */
#include "commands/cmd_impl.h"
#include "deadlock/deadlock.h"

#include <string.h>

static int run(cd_session *s, int argc, char **argv, bool locks, cd_err *err)
{
    const char *cmd = locks ? "locks" : "deadlock";
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "%s takes no arguments (got '%s'): usage %s", cmd, argv[1], cmd);
    if (!s->target)
        return cd_fail(err, CD_EXIT_CMD, "%s needs a target: attach PID or core EXE CORE first", cmd);
    cd_dl_result r;
    if (cd_deadlock_analyze(s->target, s->sym, s->unw, NULL, &r, err) != 0)
        return -1;
    if (s->out.json) {
        json_object *o = cd_dl_result_json(&r);
        json_object_object_add(o, "command", json_object_new_string(cmd));
        cd_out_json(&s->out, o);
    } else {
        cd_buf b = {0};
        if (locks)
            cd_dl_format_locks(&r, &b);
        else
            cd_dl_format_text(&r, &b);
        cd_out_printf(&s->out, "%s", cd_buf_str(&b));
        cd_buf_free(&b);
    }
    cd_dl_result_free(&r);
    return 0;
}

int cd_cmd_deadlock(cd_session *s, int argc, char **argv, cd_err *err) { return run(s, argc, argv, false, err); }

int cd_cmd_locks(cd_session *s, int argc, char **argv, cd_err *err) { return run(s, argc, argv, true, err); }
