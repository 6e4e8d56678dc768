/* fork and exec under the debugger (tests/integration/fork/). argv[1] is the case, argv[2] a
 * report file: the parent writes there how its child ended (its own waitpid), so a test checks
 * the child's fate without racing the debugger's output. argv[3] is the program an exec case runs.
 *   fork        fork; both processes call shared_work (the child with 1, the parent with 2)
 *   vfork-exec  vfork; the child execs argv[3] at once; the parent calls shared_work(2)
 *   exec        the process execs argv[3] itself (after shared_work(2))
 *   gated-fork  prints "ready", waits for a byte from the FIFO argv[3], then forks as `fork`; the
 *               child waits after its shared_work for a byte from the FIFO argv[4] (a test looks at
 *               both processes after the debugger left, while they still live) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) int shared_work(int who)
{
    sink = who;
    return who + 1;
}

/* Written whole, then renamed: a test waiting for the file never reads half of it. */
static void report(const char *path, pid_t child, int st)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        exit(3);
    if (WIFEXITED(st))
        fprintf(f, "parent %d: child %d exited with status %d\n", (int)getpid(), (int)child, WEXITSTATUS(st));
    else
        fprintf(f, "parent %d: child %d killed by signal %d\n", (int)getpid(), (int)child, WTERMSIG(st));
    fclose(f);
    rename(tmp, path);
}

/* One byte from FIFO PATH (blocks until a writer comes). */
static void gate(const char *path)
{
    int fd = open(path, O_RDONLY);
    char c;
    if (fd < 0 || read(fd, &c, 1) != 1)
        _exit(5);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *mode = argv[1], *out = argv[2];
    if (!strcmp(mode, "fork")) {
        pid_t p = fork();
        if (p < 0)
            return 2;
        if (p == 0) {
            int r = shared_work(1);
            _exit(r == 2 ? 0 : 1);
        }
        shared_work(2);
        int st;
        if (waitpid(p, &st, 0) != p)
            return 2;
        report(out, p, st);
        return 0;
    }
    if (!strcmp(mode, "gated-fork") && argc > 4) {
        printf("ready\n");
        fflush(stdout);
        gate(argv[3]);
        pid_t p = fork();
        if (p < 0)
            return 2;
        if (p == 0) {
            int r = shared_work(1);
            gate(argv[4]);
            _exit(r == 2 ? 0 : 1);
        }
        shared_work(2);
        int st;
        if (waitpid(p, &st, 0) != p)
            return 2;
        report(out, p, st);
        return 0;
    }
    if (!strcmp(mode, "vfork-exec") && argc > 3) {
        pid_t p = vfork();
        if (p < 0)
            return 2;
        if (p == 0) {
            execl(argv[3], argv[3], "from-vfork", (char *)NULL);
            _exit(127);
        }
        shared_work(2);
        int st;
        if (waitpid(p, &st, 0) != p)
            return 2;
        report(out, p, st);
        return 0;
    }
    if (!strcmp(mode, "exec") && argc > 3) {
        shared_work(2);
        execl(argv[3], argv[3], "from-exec", (char *)NULL);
        return 127;
    }
    return 2;
}
