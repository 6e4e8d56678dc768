/* `cdbg dap`: a Debug Adapter Protocol server (docs/dap.md) that drives one session as the command
 * line does, for one client, over stdio, a loopback TCP port or a unix socket.
 *
 * Threads: the main thread owns the session and the target (ptrace answers only the tracer
 * thread); a reader thread takes the client's frames off the wire into a queue, so a `pause` or a
 * `disconnect` that arrives while the program runs interrupts it (a signal to the main thread,
 * whose handler calls cd_target_interrupt, as ^C does); an output thread forwards a launched
 * program's stdout and stderr as output events. Every write to the client holds one lock. */
#ifndef CD_DAP_H
#define CD_DAP_H

#include <stddef.h>

#include "util/util.h"

typedef enum { CD_DAP_STDIO = 0, CD_DAP_TCP, CD_DAP_UNIX } cd_dap_transport;

typedef struct cd_dap_opts {
    cd_dap_transport transport;
    const char *addr; /* TCP: "127.0.0.1:PORT" (loopback only; port 0 picks one); UNIX: the path */
} cd_dap_opts;

/* Serves one client until it disconnects. Returns the exit status: 0 the client disconnected (or
 * closed the connection), 1 the transport failed, 2 a usage error (an address that is not
 * loopback, a path that exists). Errors are one line on stderr. */
int cd_dap_serve(const cd_dap_opts *o);

/* ---- framing (transport.c), pure functions the unit test and the server share ---- */

/* One frame from BUF[0..len): 1 with *body (pointing into BUF), *blen and *used (header and body)
 * when a whole frame is there; 0 when more bytes are needed; -1 with err for a header that cannot
 * be one (no Content-Length, a bad number, a body over CD_DAP_MAX_BODY): *used then says how many
 * bytes to drop (the bad header, up to its blank line) to find the next frame. */
#define CD_DAP_MAX_BODY (64u << 20)
int cd_dap_frame_parse(const char *buf, size_t len, const char **body, size_t *blen, size_t *used, cd_err *err);

/* Sockets: a listening loopback TCP socket (*port in: wanted, 0 any; out: the bound one), or a
 * unix socket at PATH, mode 0600, refusing an existing path that is not a socket (a stale socket
 * nobody listens on is replaced). -1 with a one-line error (code CD_EXIT_USAGE for the address). */
int cd_dap_listen_tcp(const char *addr, int *port, char *shown, size_t shown_len, cd_err *err);
int cd_dap_listen_unix(const char *path, cd_err *err);

#endif
