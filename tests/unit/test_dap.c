/* src/dap's framing (cd_dap_frame_parse): whole, split and back-to-back frames, every kind of bad
 * header, and random bytes, which must never be read past, never loop (each error drops bytes) and
 * never crash. */
#include "dap/dap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;

#define CHECK(c, ...)                                                                                                  \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            printf("FAIL: " __VA_ARGS__);                                                                              \
            printf("\n");                                                                                              \
            fails++;                                                                                                   \
        }                                                                                                              \
    } while (0)

static int parse(const char *buf, size_t len, const char **body, size_t *blen, size_t *used)
{
    cd_err err;
    cd_err_clear(&err);
    *used = 0;
    int rc = cd_dap_frame_parse(buf, len, body, blen, used, &err);
    if (rc < 0)
        CHECK(err.msg[0] && *used > 0 && *used <= len, "an error without a message or bytes to drop (%zu of %zu)", *used, len);
    return rc;
}

int main(void)
{
    const char *body;
    size_t blen, used;
    const char two[] = "Content-Length: 2\r\n\r\n{}content-length:3\r\nContent-Type: x\r\n\r\n[1]";
    CHECK(parse(two, strlen(two), &body, &blen, &used) == 1 && blen == 2 && !memcmp(body, "{}", 2) && used == 23,
          "first of two frames: blen %zu used %zu", blen, used);
    CHECK(parse(two + 23, strlen(two) - 23, &body, &blen, &used) == 1 && blen == 3 && !memcmp(body, "[1]", 3),
          "second frame (lower-case name, another header)");
    for (size_t cut = 0; cut < 23; cut++)
        CHECK(parse(two, cut, &body, &blen, &used) == 0, "a frame cut at %zu is not complete", cut);
    static const char *const bad[] = {"Content-Type: x\r\n\r\n", "Content-Length: x\r\n\r\n",
                                      "Content-Length: -1\r\n\r\n", "Content-Length: 12 3\r\n\r\n",
                                      "Content-Length: 99999999999999999999999\r\n\r\n", "Content-Length:\r\n\r\n",
                                      "Content-Length: 67108865\r\n\r\n", "\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(parse(bad[i], strlen(bad[i]), &body, &blen, &used) < 0 && used == strlen(bad[i]), "bad header %zu: %s",
              i, bad[i]);
    char *big = malloc(9000);
    memset(big, 'x', 9000);
    CHECK(parse(big, 9000, &body, &blen, &used) < 0 && used == 9000, "9000 bytes without a blank line");
    /* random bytes, some with a real header in front: every answer stays inside the buffer */
    srand(1234);
    char buf[512];
    for (int it = 0; it < 200000; it++) {
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rand() % 4 == 0 ? "\r\nC:"[rand() % 4] : rand());
        if (rand() % 3 == 0 && n > 30)
            memcpy(buf, "Content-Length: 5\r\n\r\n", 21);
        int rc = parse(buf, n, &body, &blen, &used);
        if (rc == 1)
            CHECK(body >= buf && body + blen <= buf + n && used <= n && body + blen == buf + used,
                  "a frame outside the buffer (iteration %d)", it);
    }
    free(big);
    printf(fails ? "%d failures\n" : "ok\n", fails);
    return fails ? 1 : 0;
}
