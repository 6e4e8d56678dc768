/* Unit tests for the command-line splitter, the command table and the syscall names. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "commands/commands.h"

static int fails;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
            fails++;                                                                               \
        }                                                                                          \
    } while (0)

static void split_case(const char *line, int want_argc, const char *const *want)
{
    char **argv;
    int argc = cd_split_args(line, &argv);
    CHECK(argc == want_argc);
    for (int i = 0; i < want_argc && i < argc; i++) {
        if (strcmp(argv[i], want[i]) != 0) {
            fprintf(stderr, "FAIL split '%s': argv[%d] = '%s', want '%s'\n", line, i, argv[i], want[i]);
            fails++;
        }
    }
    if (argc >= 0)
        CHECK(argv[argc] == NULL);
    cd_argv_free(argv);
}

/* Syscalls added after Linux 6.1, whose <asm/unistd_64.h> is the newest Debian 12 has; numbers
 * and names from the kernel's arch/x86/entry/syscalls/syscall_64.tbl. */
static const struct {
    long nr;
    const char *name;
} newer_syscalls[] = {
    {335, "uretprobe"},         {336, "uprobe"},           {451, "cachestat"},        {452, "fchmodat2"},
    {453, "map_shadow_stack"},  {454, "futex_wake"},       {455, "futex_wait"},       {456, "futex_requeue"},
    {457, "statmount"},         {458, "listmount"},        {459, "lsm_get_self_attr"}, {460, "lsm_set_self_attr"},
    {461, "lsm_list_modules"},  {462, "mseal"},            {463, "setxattrat"},       {464, "getxattrat"},
    {465, "listxattrat"},       {466, "removexattrat"},    {467, "open_tree_attr"},   {468, "file_getattr"},
    {469, "file_setattr"},      {470, "listns"},
};

#define NR_LIMIT 1024

/* Every number the installed <asm/unistd_64.h> defines must be named as it names it, every later
 * one as the kernel's table does, and every other number up to NR_LIMIT must have no name (a table
 * shifted by one, or a stray entry, fails here). The header is read at run time, so this checks the
 * table against the kernel headers of the machine that runs the tests, not a copy of them. */
static void syscall_names(void)
{
    static const char *const paths[] = {"/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
                                        "/usr/include/asm/unistd_64.h"};
    FILE *f = NULL;
    for (size_t i = 0; !f && i < sizeof paths / sizeof paths[0]; i++)
        f = fopen(paths[i], "r");
    if (!f) {
        fprintf(stderr, "FAIL: no asm/unistd_64.h under /usr/include (install linux-libc-dev)\n");
        fails++;
        return;
    }
    static char want[NR_LIMIT][64];
    char line[256], name[64];
    long nr;
    int from_header = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "#define __NR_%63s %ld", name, &nr) == 2 && nr >= 0 && nr < NR_LIMIT) {
            snprintf(want[nr], sizeof want[nr], "%s", name);
            from_header++;
        }
    fclose(f);
    /* 6.1's header defines 0..334 and 424..450: far more than a partial table would name. */
    CHECK(from_header >= 361);
    for (size_t i = 0; i < sizeof newer_syscalls / sizeof newer_syscalls[0]; i++)
        snprintf(want[newer_syscalls[i].nr], sizeof want[0], "%s", newer_syscalls[i].name);
    int wrong = 0;
    for (long n = 0; n < NR_LIMIT; n++) {
        const char *got = cd_syscall_name(n);
        bool ok = want[n][0] ? got && strcmp(got, want[n]) == 0 : got == NULL;
        if (!ok && wrong++ < 10)
            fprintf(stderr, "FAIL: syscall %ld: cd_syscall_name gives %s, expected %s\n", n, got ? got : "NULL",
                    want[n][0] ? want[n] : "NULL");
    }
    if (wrong)
        fails++;
    CHECK(cd_syscall_name(426) && strcmp(cd_syscall_name(426), "io_uring_enter") == 0);
    CHECK(cd_syscall_name(202) && strcmp(cd_syscall_name(202), "futex") == 0);
    CHECK(cd_syscall_name(-1) == NULL);
    CHECK(cd_syscall_name(LONG_MIN) == NULL);
    CHECK(cd_syscall_name(LONG_MAX) == NULL);
    CHECK(cd_syscall_name(0x40000000L) == NULL); /* x32's bit: not an x86-64 number */
}

int main(void)
{
    split_case("", 0, NULL);
    split_case("   \t ", 0, NULL);
    split_case("bt", 1, (const char *const[]){"bt"});
    split_case("  bt   all  -group ", 3, (const char *const[]){"bt", "all", "-group"});
    split_case("print \"a b\" c", 3, (const char *const[]){"print", "a b", "c"});
    split_case("x 'it''s'", 2, (const char *const[]){"x", "its"});
    split_case("p \"say \\\"hi\\\"\"", 2, (const char *const[]){"p", "say \"hi\""});
    split_case("a\\ b c", 2, (const char *const[]){"a b", "c"});
    split_case("print/x v", 2, (const char *const[]){"print/x", "v"});
    char **argv;
    CHECK(cd_split_args("p \"unterminated", &argv) == -1);
    CHECK(argv == NULL);

    /* Every name and alias resolves to exactly its own command, and none is claimed twice. */
    for (size_t i = 0; i < cd_ncommands; i++) {
        const cd_command *c = &cd_commands[i];
        CHECK(cd_command_find(c->name) == c);
        CHECK(c->summary[0] && c->usage[0] && c->fn);
        char buf[128];
        snprintf(buf, sizeof buf, "%s", c->aliases);
        for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
            if (cd_command_find(tok) != c) {
                fprintf(stderr, "FAIL alias '%s' does not resolve to '%s'\n", tok, c->name);
                fails++;
            }
        }
        for (size_t j = i + 1; j < cd_ncommands; j++)
            CHECK(strcmp(c->name, cd_commands[j].name) != 0);
    }
    CHECK(cd_command_find("bt") == cd_command_find("stack"));
    CHECK(cd_command_find("nosuch") == NULL);
    CHECK(cd_command_find("") == NULL);
    syscall_names();
    printf("%s\n", fails ? "test_commands: FAILED" : "test_commands: ok");
    return fails ? 1 : 0;
}
