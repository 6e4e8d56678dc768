/* debuginfod client: debug files and sources by build-id through libdebuginfod (debuginfod.h).
 *
 * libdw 0.188 asks debuginfod by itself at the end of dwfl_standard_find_debuginfo, but silently:
 * no progress line, no way to turn it off but unsetting DEBUGINFOD_URLS, and a query (a timeout,
 * with a dead server) per module. So debugcache.c calls libdwfl's search only when a local debug
 * file can exist, and asks here otherwise: one place that says what is downloaded, stops asking
 * after the first failure, and honours `set debuginfod enabled` and the one-shot modes' cache-only
 * rule. libdebuginfod itself reads DEBUGINFOD_URLS, DEBUGINFOD_CACHE_PATH, DEBUGINFOD_TIMEOUT,
 * DEBUGINFOD_VERBOSE... at each query, as it does for every tool. */
#include "symbols/debuginfod.h"
#include "symbols/symbols_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* libdebuginfod's API (elfutils/debuginfod.h, not installed with the runtime library alone). */
typedef struct debuginfod_client debuginfod_client;
typedef int (*dbgi_progressfn)(debuginfod_client *c, long a, long b);
static struct {
    debuginfod_client *(*begin)(void);
    int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
    int (*find_source)(debuginfod_client *, const unsigned char *, int, const char *, char **);
    void (*set_progressfn)(debuginfod_client *, dbgi_progressfn);
    void (*set_user_data)(debuginfod_client *, void *);
    void *(*get_user_data)(debuginfod_client *);
    const char *(*get_url)(debuginfod_client *);
} lib;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cd_dbgi_mode mode = CD_DBGI_ON;
static bool cache_only, json_out;
static bool dead;         /* a failure was said: no more queries in this process */
static bool loaded;       /* dlopen tried (client set if it worked) */
static debuginfod_client *client;
static bool at_exit_set;
static char **missing;    /* modules nothing was found for (the final note) */
static size_t nmissing;

void cd_debuginfod_set_mode(cd_dbgi_mode m)
{
    pthread_mutex_lock(&lock);
    mode = m;
    pthread_mutex_unlock(&lock);
}

cd_dbgi_mode cd_debuginfod_mode(void) { return mode; }

const char *cd_debuginfod_mode_name(cd_dbgi_mode m)
{
    return m == CD_DBGI_ON ? "on" : m == CD_DBGI_OFF ? "off" : "ask";
}

bool cd_debuginfod_parse_mode(const char *s, cd_dbgi_mode *m)
{
    static const char *const on[] = {"on", "1", "yes", "enable"}, *const off[] = {"off", "0", "no", "disable"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcmp(s, on[i]))
            return *m = CD_DBGI_ON, true;
        if (!strcmp(s, off[i]))
            return *m = CD_DBGI_OFF, true;
    }
    if (!strcmp(s, "ask"))
        return *m = CD_DBGI_ASK, true;
    return false;
}

void cd_debuginfod_set_cache_only(bool on) { cache_only = on; }
void cd_debuginfod_set_json(bool on) { json_out = on; }

const char *cd_debuginfod_urls(void)
{
    const char *u = getenv("DEBUGINFOD_URLS");
    return u && u[strspn(u, " \t")] ? u : NULL;
}

bool cd_debuginfod_usable(void)
{
    return mode != CD_DBGI_OFF && !dead && cd_debuginfod_urls() != NULL;
}

/* ---- what is said: stderr lines, or JSON objects with --json ------------------------------ */

static void emit(json_object *j, const char *text)
{
    fflush(stdout); /* after what the command printed so far, as on a terminal */
    if (json_out)
        fprintf(stderr, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    else
        fprintf(stderr, "%s\n", text);
    fflush(stderr);
    json_object_put(j);
}

static json_object *event(const char *what)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "event", json_object_new_string("debuginfod"));
    json_object_object_add(j, "what", json_object_new_string(what));
    return j;
}

static void hex_of(const unsigned char *id, int len, char *hex)
{
    for (int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    hex[2 * len] = 0;
}

/* One query's progress: the line is said once, when the size is known (or at the end). */
typedef struct query {
    const char *kind; /* "debuginfo" or "source" */
    const char *name; /* the module's file or the source file */
    const char *hex;
    bool transfer;    /* the server was asked (a cache hit never calls the progress function) */
    bool said;
} query;

static void say_download(query *q, long size)
{
    q->said = true;
    double amount = size > 0 ? (double)size / 1024.0 : 0;
    const char *unit = "KB";
    if (amount >= 1024.0) {
        amount /= 1024.0;
        unit = "MB";
    }
    const char *desc = !strcmp(q->kind, "source") ? "source file" : "separate debug info for";
    char *text = size > 0 ? cd_xasprintf("Downloading %.2f %s %s %s...", amount, unit, desc, q->name)
                          : cd_xasprintf("Downloading %s %s...", desc, q->name);
    json_object *j = event("download");
    json_object_object_add(j, "kind", json_object_new_string(q->kind));
    json_object_object_add(j, "file", json_object_new_string(q->name));
    json_object_object_add(j, "build_id", json_object_new_string(q->hex));
    if (size > 0)
        json_object_object_add(j, "size", json_object_new_int64(size));
    const char *url = lib.get_url ? lib.get_url(client) : NULL;
    if (url)
        json_object_object_add(j, "url", json_object_new_string(url));
    emit(j, text);
    free(text);
}

static int progress(debuginfod_client *c, long done, long total)
{
    (void)done;
    query *q = lib.get_user_data(c);
    if (!q)
        return 0;
    q->transfer = true;
    if (!q->said && total > 0)
        say_download(q, total);
    return 0;
}

static void warn_once(const char *why, const char *text)
{
    dead = true;
    json_object *j = event("error");
    json_object_object_add(j, "urls", json_object_new_string(cd_debuginfod_urls() ? cd_debuginfod_urls() : ""));
    json_object_object_add(j, "message", json_object_new_string(why));
    emit(j, text);
}

/* ---- the final note -------------------------------------------------------------------------- */

static void final_note(void)
{
    pthread_mutex_lock(&lock);
    if (!nmissing) {
        pthread_mutex_unlock(&lock);
        return;
    }
    cd_buf b = {0};
    json_object *mods = json_object_new_array();
    for (size_t i = 0; i < nmissing; i++) {
        if (i < 8)
            cd_buf_printf(&b, "%s%s", i ? ", " : "", missing[i]);
        json_object_array_add(mods, json_object_new_string(missing[i]));
    }
    if (nmissing > 8)
        cd_buf_printf(&b, " and %zu more", nmissing - 8);
    const char *urls = cd_debuginfod_urls() ? cd_debuginfod_urls() : "";
    char *text = cache_only
                     ? cd_xasprintf("note: debuginfod: no debug info for %s in debuginfod's cache; the one-shot modes "
                                    "do not ask the servers (%s): --debuginfod does",
                                    cd_buf_str(&b), urls)
                     : cd_xasprintf("note: debuginfod: the servers (%s) have no debug info for %s", urls, cd_buf_str(&b));
    json_object *j = event(cache_only ? "not_cached" : "not_found");
    json_object_object_add(j, "urls", json_object_new_string(urls));
    json_object_object_add(j, "modules", mods);
    emit(j, text);
    free(text);
    cd_buf_free(&b);
    for (size_t i = 0; i < nmissing; i++)
        free(missing[i]);
    free(missing);
    missing = NULL;
    nmissing = 0;
    pthread_mutex_unlock(&lock);
}

static void note_missing(const char *name)
{
    for (size_t i = 0; i < nmissing; i++)
        if (!strcmp(missing[i], name))
            return;
    missing = cd_xrealloc(missing, (nmissing + 1) * sizeof *missing);
    missing[nmissing++] = cd_xstrdup(name);
    if (!at_exit_set) {
        at_exit_set = true;
        atexit(final_note);
    }
}

/* ---- the cache (libdebuginfod's layout, read directly in cache-only mode) ------------------ */

/* libdebuginfod 0.188's choice: $DEBUGINFOD_CACHE_PATH, else ~/.debuginfod_client_cache if it
 * exists, else $XDG_CACHE_HOME/debuginfod_client or ~/.cache/debuginfod_client. */
static char *cache_root(void)
{
    const char *e = getenv("DEBUGINFOD_CACHE_PATH");
    if (e && *e)
        return cd_xstrdup(e);
    const char *home = getenv("HOME");
    if (!home)
        home = "/";
    char *legacy = cd_xasprintf("%s/.debuginfod_client_cache", home);
    struct stat st;
    if (stat(legacy, &st) == 0)
        return legacy;
    free(legacy);
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg)
        return cd_xasprintf("%s/debuginfod_client", xdg);
    return cd_xasprintf("%s/.cache/debuginfod_client", home);
}

/* The cache entry's name for a source file: '/' as "##", '#' as "#_" (libdebuginfod's escape). */
static char *cache_entry(const char *hex, const char *file)
{
    char *root = cache_root();
    cd_buf b = {0};
    cd_buf_printf(&b, "%s/%s/%s", root, hex, file ? "source" : "debuginfo");
    for (const char *p = file; p && *p; p++)
        cd_buf_puts(&b, *p == '/' ? "##" : *p == '#' ? "#_" : (char[]){*p, 0});
    free(root);
    char *r = cd_xstrdup(cd_buf_str(&b));
    cd_buf_free(&b);
    return r;
}

/* An entry with contents (an empty one is libdebuginfod's record of a miss). */
static int open_cached(const char *hex, const char *file, char **path)
{
    char *p = cache_entry(hex, file);
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        free(p);
        return -1;
    }
    *path = p;
    return fd;
}

/* The cache must be a directory we can write before a server is asked: libdebuginfod would
 * otherwise fail each query with an errno that does not say where. */
static bool cache_usable(void)
{
    char *root = cache_root();
    char *p = cd_xstrdup(root);
    int err = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0700) < 0 && errno != EEXIST) {
                err = errno;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (!err && (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)))
        err = ENOTDIR;
    if (!err && access(root, W_OK | X_OK) != 0)
        err = errno;
    if (err) {
        const char *e = getenv("DEBUGINFOD_CACHE_PATH");
        char *text = cd_xasprintf("warning: debuginfod: cannot use the cache directory %s%s: %s; not asking the servers "
                                  "(set DEBUGINFOD_CACHE_PATH to a writable directory)",
                                  root, e && *e ? " (DEBUGINFOD_CACHE_PATH)" : "", strerror(err));
        warn_once(strerror(err), text);
        free(text);
    }
    free(p);
    free(root);
    return !err;
}

/* ---- asking --------------------------------------------------------------------------------- */

/* `set debuginfod enabled ask`: asked once, on the terminal; without one it stays off. */
static bool ask_user(void)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
        char *text = cd_xasprintf("note: debuginfod is set to ask and there is no terminal to ask on: not using %s "
                                  "(`set debuginfod enabled on` uses it)",
                                  cd_debuginfod_urls());
        json_object *j = event("not_asked");
        emit(j, text);
        free(text);
        mode = CD_DBGI_OFF;
        return false;
    }
    fflush(stdout);
    fprintf(stderr, "\nThis program can download debug info and sources from:\n  <%s>\nEnable debuginfod for this "
                    "session? (y or [n]) ",
            cd_debuginfod_urls());
    fflush(stderr);
    char line[64];
    size_t n = 0;
    char c;
    while (n + 1 < sizeof line && read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
        line[n++] = c;
    line[n] = 0;
    mode = (line[0] == 'y' || line[0] == 'Y') ? CD_DBGI_ON : CD_DBGI_OFF;
    fprintf(stderr, "Debuginfod has been %s.\n", mode == CD_DBGI_ON ? "enabled" : "disabled");
    return mode == CD_DBGI_ON;
}

static bool load_client(void)
{
    if (loaded)
        return client != NULL;
    loaded = true;
    void *h = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        char *text = cd_xasprintf("warning: debuginfod: cannot load libdebuginfod.so.1 (%s); install libdebuginfod1 "
                                  "to fetch debug info from %s",
                                  dlerror(), cd_debuginfod_urls());
        warn_once("cannot load libdebuginfod.so.1", text);
        free(text);
        return false;
    }
    *(void **)&lib.begin = dlsym(h, "debuginfod_begin");
    *(void **)&lib.find_debuginfo = dlsym(h, "debuginfod_find_debuginfo");
    *(void **)&lib.find_source = dlsym(h, "debuginfod_find_source");
    *(void **)&lib.set_progressfn = dlsym(h, "debuginfod_set_progressfn");
    *(void **)&lib.set_user_data = dlsym(h, "debuginfod_set_user_data");
    *(void **)&lib.get_user_data = dlsym(h, "debuginfod_get_user_data");
    *(void **)&lib.get_url = dlsym(h, "debuginfod_get_url");
    if (!lib.begin || !lib.find_debuginfo || !lib.find_source || !lib.set_progressfn || !lib.set_user_data ||
        !lib.get_user_data || !(client = lib.begin())) {
        warn_once("libdebuginfod.so.1 is unusable",
                  "warning: debuginfod: libdebuginfod.so.1 lacks the functions cdbg needs (too old?); going on "
                  "without debuginfod");
        client = NULL;
        return false;
    }
    lib.set_progressfn(client, progress);
    return true;
}

/* Looks up KIND for build-id ID (FILE: a source file's DWARF path, NULL for the debug file); NAME
 * says what it is in the lines. Called with the lock held. */
static int query_locked(const unsigned char *id, int len, const char *file, const char *name, char **path)
{
    if (len <= 0 || len > 64 || mode == CD_DBGI_OFF || dead || !cd_debuginfod_urls())
        return -1;
    char hex[130];
    hex_of(id, len, hex);
    const char *kind = file ? "source" : "debuginfo";
    if (cache_only) {
        int fd = open_cached(hex, file, path);
        if (fd < 0)
            note_missing(name);
        return fd;
    }
    if (mode == CD_DBGI_ASK && !ask_user())
        return -1;
    if (!cache_usable() || !load_client())
        return -1;
    query q = {kind, name, hex, false, false};
    lib.set_user_data(client, &q);
    char *got = NULL;
    int fd = file ? lib.find_source(client, id, len, file, &got) : lib.find_debuginfo(client, id, len, &got);
    lib.set_user_data(client, NULL);
    if (fd >= 0) {
        if (q.transfer && !q.said) {
            struct stat st;
            say_download(&q, fstat(fd, &st) == 0 ? (long)st.st_size : 0);
        }
        *path = got ? got : cache_entry(hex, file);
        return fd;
    }
    free(got);
    if (fd == -ENOENT) {
        note_missing(name);
        return -1;
    }
    /* A server down, refusing, answering garbage or too slow: said once, then no more asking (each
     * module would otherwise wait for the same failure). */
    char *text = cd_xasprintf("warning: debuginfod: cannot get the %s of %s from %s: %s; going on without debuginfod",
                              file ? "source" : "debug info", name, cd_debuginfod_urls(), strerror(-fd));
    warn_once(strerror(-fd), text);
    free(text);
    return -1;
}

int cd_debuginfod__debuginfo(const unsigned char *id, int len, const char *name, char **path)
{
    if (!cd_debuginfod_usable())
        return -1;
    pthread_mutex_lock(&lock);
    int fd = query_locked(id, len, NULL, name, path);
    pthread_mutex_unlock(&lock);
    return fd;
}

int cd_debuginfod__source(const unsigned char *id, int len, const char *file, char **path)
{
    /* libdebuginfod refuses relative names (Debian's libc records "./posix/..."): nothing to ask */
    if (!cd_debuginfod_usable() || !file || file[0] != '/')
        return -1;
    pthread_mutex_lock(&lock);
    int fd = query_locked(id, len, file, file, path);
    pthread_mutex_unlock(&lock);
    return fd;
}

void cd_debuginfod__bad_file(const char *name, const char *path)
{
    pthread_mutex_lock(&lock);
    char *text = cd_xasprintf("warning: debuginfod: what %s served for %s is not its debug file (not ELF, or another "
                              "build-id); ignored, and removed from the cache",
                              cd_debuginfod_urls(), name);
    unlink(path);
    warn_once("not the module's debug file", text);
    free(text);
    pthread_mutex_unlock(&lock);
}
