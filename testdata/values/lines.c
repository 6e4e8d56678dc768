/* Line-table rows as gcc writes them (issue 13), in a program of one function so that the
 * end-of-sequence row past main's `ret` is the first address of what follows (.fini's _fini):
 * at -O2, several rows share an address (6, 7, 8 is_stmt then 6 not; 9 not then 15 is_stmt; 16
 * is_stmt then 16 not) and the closing brace has only non-statement rows. Built without PIE so
 * that gdb, reading the file alone, and cdbg, running it, name the same addresses. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long sum = 0;
    int n = argc > 1 ? atoi(argv[1]) : 10;
    for (int i = 0; i < n; i++) {
        if (i % 3 == 0)
            sum += i * 7;
        else
            sum -= i;
    }
    printf("sum %ld\n", sum);
    return sum == 12345;
}
