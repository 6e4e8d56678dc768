/* Shell-like splitting of a command line: quotes and backslashes group, nothing is expanded,
 * because users paste C expressions and file names containing spaces. */
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"

int cd_split_args(const char *line, char ***argv_out)
{
    size_t cap = 8, argc = 0;
    char **argv = cd_xcalloc(cap, sizeof *argv);
    const char *p = line;
    cd_buf cur = {0};
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        cd_buf_reset(&cur);
        cd_buf_append(&cur, "", 0);
        char q = 0;
        for (; *p; p++) {
            if (q) {
                if (*p == q) {
                    q = 0;
                } else if (*p == '\\' && q == '"' && (p[1] == '"' || p[1] == '\\')) {
                    cd_buf_append(&cur, ++p, 1);
                } else {
                    cd_buf_append(&cur, p, 1);
                }
            } else if (*p == '"' || *p == '\'') {
                q = *p;
            } else if (*p == '\\' && p[1]) {
                cd_buf_append(&cur, ++p, 1);
            } else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
                break;
            } else {
                cd_buf_append(&cur, p, 1);
            }
        }
        if (q) {
            cd_buf_free(&cur);
            argv[argc] = NULL;
            cd_argv_free(argv);
            *argv_out = NULL;
            return -1;
        }
        if (argc + 2 > cap) {
            cap *= 2;
            argv = cd_xrealloc(argv, cap * sizeof *argv);
        }
        argv[argc++] = cd_xstrdup(cd_buf_str(&cur));
    }
    cd_buf_free(&cur);
    argv[argc] = NULL;
    *argv_out = argv;
    return (int)argc;
}

void cd_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}
