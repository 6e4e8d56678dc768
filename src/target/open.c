/* The one target-opening function (see open.h). */
#include "target/open.h"
#include "target/bpfsnap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cd_open_parse(cd_open_spec *spec, cd_open_kind kind, int argc, char *const argv[], const char *usage,
                  cd_err *err)
{
    spec->pid = 0;
    spec->exe = spec->core = NULL;
    spec->argv = NULL;
    if (kind == CD_OPEN_ANY) {
        if (argc < 1 || argc > 2)
            return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "%s", usage);
        kind = argc == 2 ? CD_OPEN_CORE : CD_OPEN_ATTACH;
    }
    spec->kind = kind;
    int want = kind == CD_OPEN_CORE ? 2 : 1;
    if (kind == CD_OPEN_LAUNCH ? argc < 1 : argc != want)
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "%s", usage);
    switch (kind) {
    case CD_OPEN_ATTACH:
        return cd_parse_pid(argv[0], &spec->pid, err);
    case CD_OPEN_CORE:
        spec->exe = argv[0];
        spec->core = argv[1];
        return 0;
    default:
        spec->argv = argv;
        return 0;
    }
}

/* Kernel threads and zombies have no memory map: say so rather than fail reading it. */
static int check_has_memory(pid_t pid, cd_err *err)
{
    char path[48];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    /* its first byte only: the kernel formats a line per mapping, and a process of 1000 threads
     * has 2000 of them (each stack and its guard page) */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char c;
    ssize_t r = -1;
    if (fd >= 0) {
        do
            r = read(fd, &c, 1);
        while (r < 0 && errno == EINTR);
        close(fd);
    }
    if (r == 0)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_NOT_FOUND,
                        "cannot attach to PID %d: it has no user-space memory (a kernel thread or a zombie); "
                        "give the PID of a running program",
                        (int)pid);
    return 0;
}

cd_target *cd_target_open(const cd_open_spec *spec, cd_err *err)
{
    cd_target *t = NULL;
    switch (spec->kind) {
    case CD_OPEN_ATTACH:
        if (check_has_memory(spec->pid, err) < 0)
            return NULL;
        t = spec->bpf_snapshot && spec->mode == CD_ATTACH_NONSTOP ? cd_live_attach_snap(spec->pid, err)
                                                                  : cd_live_attach(spec->pid, spec->mode, err);
        break;
    case CD_OPEN_CORE:
        t = cd_core_open(spec->exe, spec->core, err);
        /* The core backend words the mismatch; it has no other mark of it. */
        if (t && spec->strict_core && t->warning && strstr(t->warning, "was not produced by")) {
            cd_fail(err, CD_EXIT_CMD, "%s", t->warning);
            cd_target_close(t);
            return NULL;
        }
        break;
    case CD_OPEN_LAUNCH:
        t = cd_live_launch(spec->argv, err);
        break;
    default:
        cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "no target: give a PID, an EXE and its CORE, or a program to run");
        return NULL;
    }
    if (t == NULL && err->code == 0)
        err->code = CD_EXIT_TARGET;
    return t;
}
