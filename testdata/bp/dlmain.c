/* Pending breakpoints: loads libbplib.so (built next to this program) with dlopen after main,
 * calls lib_add(20, 22), unloads it, loads it again and calls lib_add(1, 2): a breakpoint set
 * before the first dlopen is resolved at each load and hit both times. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int call_lib(const char *path, int a, int b)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL); /* @dlopen */
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(2);
    }
    int (*add)(int, int) = (int (*)(int, int))dlsym(h, "lib_add");
    if (!add) {
        fprintf(stderr, "dlsym lib_add: %s\n", dlerror());
        exit(2);
    }
    int r = add(a, b); /* @call */
    dlclose(h);
    return r;
}

int main(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) {
        perror("readlink /proc/self/exe");
        return 2;
    }
    exe[n] = 0;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/libbplib.so", dirname(exe));
    int r1 = call_lib(path, 20, 22);
    int r2 = call_lib(path, 1, 2);
    printf("dlmain done %d %d\n", r1, r2); /* @done */
    return 0;
}
