/* Unix sockets as the kernel's socket diagnostics (NETLINK_SOCK_DIAG) list them: fdwait.c's view of
 * socketpairs. Internal to src/deadlock. */
#ifndef CD_DL_SOCKDIAG_H
#define CD_DL_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cd_unix_sock {
    uint32_t ino;   /* the socket's inode: "socket:[INO]" in /proc/PID/fd */
    uint32_t peer;  /* the connected peer's inode; 0: none (unconnected, or the peer was closed) */
    uint8_t type;   /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
    uint8_t state;  /* TCP_ESTABLISHED, TCP_LISTEN (10), TCP_CLOSE */
    bool named;     /* bound to a path or an abstract name: anyone may connect or send to it */
    bool has_rq;    /* rq/wq are known (UNIX_DIAG_RQLEN) */
    uint32_t rq;    /* bytes queued to be read (a listening socket: connections not yet accepted) */
    uint32_t wq;    /* bytes it sent that its peer has not read yet (listening: the backlog) */
} cd_unix_sock;

/* One dump of every unix socket of cdbg's network namespace, sorted by inode. False (and *why set
 * to a static reason) when the kernel does not answer (no unix_diag, a seccomp filter). */
bool cd_dl_unix_dump(cd_unix_sock **out, size_t *n, const char **why);
const cd_unix_sock *cd_dl_unix_find(const cd_unix_sock *v, size_t n, uint32_t ino);
/* PID's network namespace is cdbg's (else the dump does not list its sockets). */
bool cd_dl_same_netns(pid_t pid);

#endif
