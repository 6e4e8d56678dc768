/* The DAP wire: Content-Length framing and the listening sockets (loopback TCP, unix). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dap/dap.h"

/* The header block ends at the first blank line; each line is "Name: value". Only
 * Content-Length matters (the spec's only header); others (Content-Type) are ignored. */
int cd_dap_frame_parse(const char *buf, size_t len, const char **body, size_t *blen, size_t *used, cd_err *err)
{
    const char *end = NULL;
    size_t hlen = 0;
    for (size_t i = 0; i + 3 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            end = buf + i;
            hlen = i + 4;
            break;
        }
    if (!end) {
        if (len > 8192) { /* no header is this long: garbage without a blank line */
            *used = len;
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                            "dap: %zu bytes without a header's blank line: dropped (frames are "
                            "\"Content-Length: N\\r\\n\\r\\n\" then N bytes of JSON)", len);
        }
        return 0;
    }
    bool have = false;
    unsigned long long n = 0;
    for (const char *l = buf; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - l);
        if (ll && l[ll - 1] == '\r')
            ll--;
        static const char key[] = "content-length:";
        if (ll >= sizeof key - 1 && !strncasecmp(l, key, sizeof key - 1)) {
            const char *p = l + sizeof key - 1, *pe = l + ll;
            while (p < pe && (*p == ' ' || *p == '\t'))
                p++;
            if (p == pe || !isdigit((unsigned char)*p)) {
                *used = hlen;
                return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "dap: Content-Length is not a number: frame dropped");
            }
            n = 0;
            while (p < pe && isdigit((unsigned char)*p)) {
                n = n * 10 + (unsigned)(*p - '0');
                if (n > CD_DAP_MAX_BODY)
                    break;
                p++;
            }
            while (p < pe && (*p == ' ' || *p == '\t'))
                p++;
            if (p != pe || n > CD_DAP_MAX_BODY) {
                *used = hlen;
                return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                                "dap: bad Content-Length (not a number, or over %u bytes): frame dropped",
                                CD_DAP_MAX_BODY);
            }
            have = true;
        }
        l = nl ? nl + 1 : end;
    }
    if (!have) {
        *used = hlen;
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "dap: a header without Content-Length: dropped");
    }
    if (len - hlen < n)
        return 0;
    *body = buf + hlen;
    *blen = (size_t)n;
    *used = hlen + (size_t)n;
    return 1;
}

/* HOST:PORT with HOST a loopback address: 127.0.0.0/8, localhost or [::1]. */
int cd_dap_listen_tcp(const char *addr, int *port, char *shown, size_t shown_len, cd_err *err)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE,
                        "dap: --listen takes 127.0.0.1:PORT (loopback only), not '%s'", addr);
    char host[128];
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    char *e;
    errno = 0;
    long p = strtol(colon + 1, &e, 10);
    if (!colon[1] || *e || errno || p < 0 || p > 65535)
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "dap: --listen: '%s' is not a port number (0-65535)",
                        colon + 1);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    int fam;
    struct in_addr a4;
    struct in6_addr a6;
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = fam = AF_INET;
        s4->sin_addr = a4;
        s4->sin_port = htons((uint16_t)p);
        sl = sizeof *s4;
    } else if (host[0] == '[' && host[strlen(host) - 1] == ']' &&
               (host[strlen(host) - 1] = 0, inet_pton(AF_INET6, host + 1, &a6) == 1) &&
               IN6_IS_ADDR_LOOPBACK(&a6)) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = fam = AF_INET6;
        s6->sin6_addr = a6;
        s6->sin6_port = htons((uint16_t)p);
        sl = sizeof *s6;
    } else {
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE,
                        "dap: --listen %s refused: cdbg serves only the loopback address (127.0.0.1:PORT or "
                        "[::1]:PORT): a debugger port is a shell on this machine; reach it remotely through ssh -L",
                        addr);
    }
    int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cd_fail(err, CD_EXIT_CMD, "dap: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1) < 0) {
        int e2 = errno;
        close(fd);
        return cd_fail(err, CD_EXIT_CMD, "dap: cannot listen on %s: %s", addr, strerror(e2));
    }
    sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char hb[INET6_ADDRSTRLEN];
    if (fam == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        *port = ntohs(s4->sin_port);
        inet_ntop(AF_INET, &s4->sin_addr, hb, sizeof hb);
        snprintf(shown, shown_len, "%s:%d", hb, *port);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        *port = ntohs(s6->sin6_port);
        inet_ntop(AF_INET6, &s6->sin6_addr, hb, sizeof hb);
        snprintf(shown, shown_len, "[%s]:%d", hb, *port);
    }
    return fd;
}

int cd_dap_listen_unix(const char *path, cd_err *err)
{
    struct sockaddr_un su;
    memset(&su, 0, sizeof su);
    su.sun_family = AF_UNIX;
    if (!*path || strlen(path) >= sizeof su.sun_path)
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "dap: --unix needs a path of 1 to %zu bytes",
                        sizeof su.sun_path - 1);
    memcpy(su.sun_path, path, strlen(path));
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE,
                            "dap: --unix %s exists and is not a socket: refusing to replace it; choose another path",
                            path);
        /* a socket left by a server that died: replaced only when nobody answers on it */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && connect(probe, (struct sockaddr *)&su, sizeof su) == 0;
        if (probe >= 0)
            close(probe);
        if (live)
            return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE,
                            "dap: --unix %s: another server listens there; choose another path", path);
        if (unlink(path) < 0)
            return cd_fail(err, CD_EXIT_CMD, "dap: cannot remove the stale socket %s: %s", path, strerror(errno));
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cd_fail(err, CD_EXIT_CMD, "dap: socket: %s", strerror(errno));
    /* bind creates the node with the umask applied, never through a symlink (an existing name,
     * symlink or not, is EADDRINUSE): 0600 from the start, no window for another user to connect */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&su, sizeof su);
    int e2 = errno;
    umask(old);
    if (rc < 0 || listen(fd, 1) < 0) {
        if (rc == 0)
            e2 = errno;
        close(fd);
        return cd_fail(err, CD_EXIT_CMD, "dap: cannot listen on %s: %s", path, strerror(e2));
    }
    return fd;
}
