/* Calls lib_fn (libtrace.so) N times (argv[1], default 1000) and prints the sum it returned. */
#include <stdio.h>
#include <stdlib.h>

int lib_fn(int v);

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    long s = 0;
    for (int i = 0; i < n; i++)
        s += lib_fn(i);
    printf("sum %ld\n", s);
    return 0;
}
