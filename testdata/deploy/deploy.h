/* The library of testdata/deploy (libdeploy.so, built as two versions). */
#ifndef DEPLOY_H
#define DEPLOY_H
void lib_wait(int port, void (*cb)(int));
#endif
