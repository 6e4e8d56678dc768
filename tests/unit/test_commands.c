/* Unit tests for the command-line splitter and the command table. */
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
    printf("%s\n", fails ? "test_commands: FAILED" : "test_commands: ok");
    return fails ? 1 : 0;
}
