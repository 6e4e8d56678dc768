/* Stepping: line and instruction steps, over and into calls, out of inlined calls. */
#include <string.h>

#include "control/control_int.h"

int ctl_step_out_inline(cd_ctl *c, cd_thread *th, const cd_scope *sel, int level, cd_stop *stop, cd_err *err);
int ctl_step_out_inline(cd_ctl *c, cd_thread *th, const cd_scope *sel, int level, cd_stop *stop, cd_err *err)
{
    (void)c, (void)th, (void)stop;
    const cd_frame *f = &sel->frames[level];
    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                    "stepout: frame #%d is an inlined call of %s: it has no return to stop at; "
                    "use `break FILE:LINE` and `continue`",
                    f->level, f->info.func ? f->info.func : "??");
}

int cd_ctl_step(cd_ctl *c, cd_thread *th, cd_step_kind kind, int count, cd_stop *stop, cd_err *err)
{
    (void)c, (void)th, (void)kind, (void)count;
    memset(stop, 0, sizeof *stop);
    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot step yet");
}
