/* cd_dl_state (deadlock.h): one analysis's knowledge of one process. Private to src/deadlock. */
#ifndef CD_DEADLOCK_STATE_H
#define CD_DEADLOCK_STATE_H

#include "deadlock/deadlock.h"

struct cd_dl_fdscan; /* fdwait.c */

struct cd_dl_nsmap {
    const cd_target *t; /* the target the map is of (NULL: none) */
    pid_t pid;
    bool other;         /* the TIDs it uses are not the target's: they need translating */
    size_t n;
    pid_t *host, *ns;   /* host[i] is ns[i] in the process's namespace */
};

struct cd_dl_state {
    struct cd_dl_nsmap ns;
    struct cd_dl_fdscan *fd; /* NULL until a thread waits on an fd */
};

void cd_dl_fdscan_free(struct cd_dl_fdscan *f);

#endif
