/* A "service" for tests/integration/robust/deploy.sh: run, then replaced on disk by a newer build
 * (-DDEPLOY_V2: more code before serve, so every address differs) or deleted, as a package upgrade
 * leaves a running daemon. main -> serve -> lib_wait (libdeploy.so) -> pause. */
#include <stdio.h>

#include "deploy.h"

#ifdef DEPLOY_V2
int v2_parse(const char *s)
{
    int n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}
int v2_feature(int x)
{
    return v2_parse("42") + x;
}
#endif

static int handled;

__attribute__((noinline)) static void on_event(int n)
{
    handled += n;
}

__attribute__((noinline)) void serve(int port)
{
    int backlog = port / 8;
    lib_wait(port + backlog, on_event); /* LINE serve */
}

int main(void)
{
    serve(8080); /* LINE main */
    return handled == 0;
}
