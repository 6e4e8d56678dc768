/* Unit tests for cd_procfs_parse_nspid (src/target/procfs.c): the TID a thread has in its own PID
 * namespace, which is what glibc writes into lock owners inside a container. */
#include "target/procfs.h"

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        bool ok_ = (cond);                                                           \
        printf("%s: %s (line %d)\n", ok_ ? "ok" : "FAIL", #cond, __LINE__);          \
        if (!ok_)                                                                    \
            failures++;                                                              \
    } while (0)

int main(void)
{
    /* one namespace: the TID itself */
    CHECK(cd_procfs_parse_nspid("Name:\tbash\nTgid:\t812\nNSpid:\t812\nPPid:\t1\n") == 812);
    /* a container: the last field is the number the process sees */
    CHECK(cd_procfs_parse_nspid("Tgid:\t22882\nNSpid:\t22884\t2\nNSsid:\t0\n") == 2);
    /* nested containers: the innermost */
    CHECK(cd_procfs_parse_nspid("NSpid:\t5000\t40\t7\n") == 7);
    /* the last line of the file, without a newline */
    CHECK(cd_procfs_parse_nspid("Tgid:\t1\nNSpid:\t9\t3") == 3);
    /* NStgid and NSsid are not NSpid */
    CHECK(cd_procfs_parse_nspid("NStgid:\t100\t1\nNSsid:\t100\t1\n") == 0);
    /* missing or malformed */
    CHECK(cd_procfs_parse_nspid("Name:\tx\n") == 0);
    CHECK(cd_procfs_parse_nspid("NSpid:\n") == 0);
    CHECK(cd_procfs_parse_nspid("NSpid:\t12\tx\n") == 0);
    CHECK(cd_procfs_parse_nspid("NSpid:\t-4\n") == 0);
    CHECK(cd_procfs_parse_nspid("") == 0);
    if (failures)
        printf("%d FAILED\n", failures);
    return failures != 0;
}
