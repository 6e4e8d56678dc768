/* libdeploy.so for tests/integration/robust/deploy.sh: two builds of the same source, the second
 * (-DDEPLOY_V2) with more code before lib_wait, so its addresses are not the first build's. */
#include <stdio.h>
#include <unistd.h>

#include "deploy.h"

#ifdef DEPLOY_V2
int lib_v2_checksum(const char *s)
{
    int h = 7;
    for (; *s; s++)
        h = h * 31 + *s;
    return h;
}
int lib_v2_feature(int x)
{
    return lib_v2_checksum("feature") ^ x;
}
#endif

void lib_wait(int port, void (*cb)(int))
{
    cb(port);
    printf("ready\n");
    fflush(stdout);
    pause(); /* LINE lib_wait */
}
