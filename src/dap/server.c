/* The DAP server: requests in, a session driven as the command line drives it, responses and events
 * built from what src/control and src/expr return (cd_stop, frames, values), never from cdbg's text
 * (except `evaluate` in the repl context, whose answer is a command's text). dap.h says how the
 * threads share the work. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands/cmd_impl.h"
#include "dap/dap.h"
#include "expr/expr_int.h"
#include "target/open.h"

typedef struct dreq {
    json_object *j;
    struct dreq *next;
} dreq;

/* What a variablesReference stands for until the next resume. */
typedef enum { VR_LOCALS, VR_ARGS, VR_REGS, VR_VALUE } vr_kind;
typedef struct vref {
    vr_kind kind;
    int frame;   /* frameId it belongs to */
    cd_value v;  /* VALUE: the object whose parts are the children (in the epoch arena) */
    char *ename; /* VALUE: the expression that names it, for the children's evaluateName */
} vref;

typedef struct dframe {
    pid_t tid;
    int level;
} dframe;

typedef struct srcbps {
    char *path; /* a source's path, or NULL for the function breakpoints */
    int *ids;
    size_t n;
} srcbps;

typedef struct dap {
    int in_fd, out_fd;
    pthread_mutex_t wlock;
    int seq;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    dreq *qhead, *qtail;
    bool eof;
    pthread_t main_th;
    volatile sig_atomic_t running;        /* the main thread runs the target */
    volatile sig_atomic_t stop_requested; /* a pause/disconnect came while it ran */
    cd_session s;
    bool launched, core, stop_on_entry, done;
    /* the launched program's stdout and stderr, forwarded by the output thread */
    int pout, perr, wake[2];
    pthread_t out_th;
    bool out_started;
    /* valid until the next resume */
    cd_arena ar;
    dframe *frames;
    size_t nframes;
    vref *vrefs;
    size_t nvrefs;
    srcbps *srcs;
    size_t nsrcs;
    /* the threads as of the last stop, with those started and exited since: what `threads`
     * answers while the program runs (a client asks for them to offer a pause); under qlock */
    struct tsnap {
        pid_t tid;
        char name[24];
    } *tsnap;
    size_t ntsnap;
} dap;

static cd_target *volatile g_running;

static void on_pause_signal(int sig)
{
    (void)sig;
    cd_target *t = g_running;
    if (t)
        cd_target_interrupt(t);
}

/* ---- writing ---- */

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the client went away: the reader sees EOF and the session ends */
        p += w;
        n -= (size_t)w;
    }
}

static void send_obj(dap *d, json_object *j)
{
    pthread_mutex_lock(&d->wlock);
    json_object_object_add(j, "seq", json_object_new_int(++d->seq));
    size_t n;
    const char *body = json_object_to_json_string_length(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char hdr[64];
    int hl = snprintf(hdr, sizeof hdr, "Content-Length: %zu\r\n\r\n", n);
    write_all(d->out_fd, hdr, (size_t)hl);
    write_all(d->out_fd, body, n);
    pthread_mutex_unlock(&d->wlock);
    json_object_put(j);
}

static void send_event(dap *d, const char *ev, json_object *body)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "type", json_object_new_string("event"));
    json_object_object_add(j, "event", json_object_new_string(ev));
    if (body)
        json_object_object_add(j, "body", body);
    send_obj(d, j);
}

static void respond(dap *d, json_object *req, json_object *body)
{
    json_object *j = json_object_new_object(), *v;
    json_object_object_add(j, "type", json_object_new_string("response"));
    json_object_object_add(j, "request_seq",
                           json_object_new_int(json_object_object_get_ex(req, "seq", &v) ? json_object_get_int(v) : 0));
    json_object_object_add(j, "success", json_object_new_boolean(1));
    json_object_object_add(j, "command", json_object_new_string(json_object_object_get_ex(req, "command", &v)
                                                                     ? json_object_get_string(v)
                                                                     : ""));
    if (body)
        json_object_object_add(j, "body", body);
    send_obj(d, j);
}

static void respond_err(dap *d, json_object *req, const char *msg)
{
    json_object *j = json_object_new_object(), *v;
    json_object_object_add(j, "type", json_object_new_string("response"));
    json_object_object_add(j, "request_seq", json_object_new_int(req && json_object_object_get_ex(req, "seq", &v)
                                                                     ? json_object_get_int(v)
                                                                     : 0));
    json_object_object_add(j, "success", json_object_new_boolean(0));
    const char *cmd = req && json_object_object_get_ex(req, "command", &v) ? json_object_get_string(v) : NULL;
    json_object_object_add(j, "command", json_object_new_string(cmd ? cmd : ""));
    json_object_object_add(j, "message", json_object_new_string(msg));
    json_object *e = json_object_new_object();
    json_object_object_add(e, "id", json_object_new_int(1));
    json_object_object_add(e, "format", json_object_new_string(msg));
    json_object_object_add(e, "showUser", json_object_new_boolean(1));
    json_object *b = json_object_new_object();
    json_object_object_add(b, "error", e);
    json_object_object_add(j, "body", b);
    send_obj(d, j);
}

static void send_output(dap *d, const char *category, const char *text, size_t n)
{
    if (!n)
        return;
    json_object *b = json_object_new_object();
    json_object_object_add(b, "category", json_object_new_string(category));
    json_object_object_add(b, "output", json_object_new_string_len(text, (int)n));
    send_event(d, "output", b);
}

/* ---- the reader thread ---- */

static void enqueue(dap *d, json_object *j)
{
    dreq *r = cd_xmalloc(sizeof *r);
    r->j = j;
    r->next = NULL;
    pthread_mutex_lock(&d->qlock);
    if (d->qtail)
        d->qtail->next = r;
    else
        d->qhead = r;
    d->qtail = r;
    pthread_cond_signal(&d->qcond);
    pthread_mutex_unlock(&d->qlock);
}

static json_object *threads_body(const struct tsnap *t, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int(t[i].tid));
        char *nm = cd_xasprintf("%s (%d)", t[i].name[0] ? t[i].name : "?", (int)t[i].tid);
        json_object_object_add(o, "name", json_object_new_string(nm));
        free(nm);
        json_object_array_add(arr, o);
    }
    json_object *b = json_object_new_object();
    json_object_object_add(b, "threads", arr);
    return b;
}

/* The snapshot `threads` answers from while the program runs: taken before each run. */
static void tsnap_take(dap *d)
{
    cd_target *t = d->s.target;
    pthread_mutex_lock(&d->qlock);
    d->ntsnap = 0;
    for (size_t i = 0; t && i < t->nthreads; i++) {
        if (t->threads[i]->gone)
            continue;
        d->tsnap = cd_xrealloc(d->tsnap, (d->ntsnap + 1) * sizeof *d->tsnap);
        d->tsnap[d->ntsnap].tid = t->threads[i]->tid;
        snprintf(d->tsnap[d->ntsnap].name, sizeof d->tsnap[d->ntsnap].name, "%s", t->threads[i]->name);
        d->ntsnap++;
    }
    pthread_mutex_unlock(&d->qlock);
}

static void tsnap_note(dap *d, pid_t tid, bool started)
{
    pthread_mutex_lock(&d->qlock);
    size_t i = 0;
    while (i < d->ntsnap && d->tsnap[i].tid != tid)
        i++;
    if (started && i == d->ntsnap) {
        d->tsnap = cd_xrealloc(d->tsnap, (d->ntsnap + 1) * sizeof *d->tsnap);
        d->tsnap[d->ntsnap].tid = tid;
        d->tsnap[d->ntsnap].name[0] = 0;
        d->ntsnap++;
    } else if (!started && i < d->ntsnap) {
        memmove(&d->tsnap[i], &d->tsnap[i + 1], (d->ntsnap - i - 1) * sizeof *d->tsnap);
        d->ntsnap--;
    }
    pthread_mutex_unlock(&d->qlock);
}

/* Stops a running program for a request that cannot wait for it (pause, disconnect, terminate, the
 * client gone): the main thread's handler interrupts it (ptrace answers only the tracer thread). */
static void interrupt_run(dap *d)
{
    if (!d->running)
        return;
    d->stop_requested = 1;
    pthread_kill(d->main_th, SIGUSR2);
}

static void *reader_main(void *arg)
{
    dap *d = arg;
    size_t cap = 65536, len = 0;
    char *buf = cd_xmalloc(cap);
    for (;;) {
        const char *body;
        size_t blen, used;
        cd_err err;
        cd_err_clear(&err);
        int rc = cd_dap_frame_parse(buf, len, &body, &blen, &used, &err);
        if (rc < 0) {
            fprintf(stderr, "cdbg: %s\n", err.msg);
            respond_err(d, NULL, err.msg);
            memmove(buf, buf + used, len - used);
            len -= used;
            continue;
        }
        if (rc == 1) {
            json_tokener *tok = json_tokener_new();
            json_object *j = json_tokener_parse_ex(tok, body, (int)blen);
            enum json_tokener_error te = json_tokener_get_error(tok);
            if (j && te == json_tokener_success && tok->char_offset < (int)blen)
                te = json_tokener_error_parse_unexpected; /* trailing bytes after the object */
            json_tokener_free(tok);
            json_object *type = NULL, *cmd = NULL;
            if (!j || te != json_tokener_success || !json_object_is_type(j, json_type_object) ||
                !json_object_object_get_ex(j, "type", &type) || strcmp(json_object_get_string(type), "request") ||
                !json_object_object_get_ex(j, "command", &cmd) || !json_object_is_type(cmd, json_type_string)) {
                char msg[200];
                snprintf(msg, sizeof msg, "dap: a frame that is not a JSON request object (%s): ignored",
                         te != json_tokener_success ? json_tokener_error_desc(te) : "no \"type\": \"request\" or \"command\"");
                fprintf(stderr, "cdbg: %s\n", msg);
                respond_err(d, j && json_object_is_type(j, json_type_object) ? j : NULL, msg);
                json_object_put(j);
            } else {
                const char *c = json_object_get_string(cmd);
                if (!strcmp(c, "pause") || !strcmp(c, "disconnect") || !strcmp(c, "terminate"))
                    interrupt_run(d);
                json_object *tb = NULL;
                if (!strcmp(c, "threads")) {
                    pthread_mutex_lock(&d->qlock);
                    if (d->running) /* the main thread is in the run loop: answered from the snapshot */
                        tb = threads_body(d->tsnap, d->ntsnap);
                    pthread_mutex_unlock(&d->qlock);
                }
                if (tb) {
                    respond(d, j, tb);
                    json_object_put(j);
                } else {
                    enqueue(d, j);
                }
            }
            memmove(buf, buf + used, len - used);
            len -= used;
            continue;
        }
        if (len == cap) {
            if (cap > CD_DAP_MAX_BODY + 65536u)
                break; /* cannot happen: the parser refuses bodies this large */
            cap *= 2;
            buf = cd_xrealloc(buf, cap);
        }
        ssize_t n = read(d->in_fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    free(buf);
    pthread_mutex_lock(&d->qlock);
    d->eof = true;
    pthread_cond_signal(&d->qcond);
    pthread_mutex_unlock(&d->qlock);
    interrupt_run(d); /* the client is gone: the program must not run on under a dead session */
    return NULL;
}

/* ---- the output thread ---- */

static void *output_main(void *arg)
{
    dap *d = arg;
    char buf[8192];
    int fds[2] = {d->pout, d->perr};
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {d->wake[0], POLLIN, 0}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[2].revents)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i] < 0 || !p[i].revents)
                continue;
            ssize_t n = read(fds[i], buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                fds[i] = -1;
                continue;
            }
            send_output(d, i == 0 ? "stdout" : "stderr", buf, (size_t)n);
        }
    }
    return NULL;
}

static void stop_output(dap *d, bool drain)
{
    if (!d->out_started)
        return;
    if (drain) {
        /* the program ended: what it wrote comes before "exited", unless a child of its keeps the
         * pipes open, which must not hold the session (then the thread is told to stop) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        if (pthread_timedjoin_np(d->out_th, NULL, &ts) == 0)
            goto joined;
    }
    write_all(d->wake[1], "x", 1);
    pthread_join(d->out_th, NULL);
joined:
    d->out_started = false;
    close(d->pout);
    close(d->perr);
}

/* ---- the epoch: frames and variables named until the next resume ---- */

static void epoch_reset(dap *d)
{
    cd_arena_free(&d->ar);
    free(d->frames);
    free(d->vrefs);
    d->frames = NULL;
    d->vrefs = NULL;
    d->nframes = d->nvrefs = 0;
}

static int frame_id(dap *d, pid_t tid, int level)
{
    for (size_t i = 0; i < d->nframes; i++)
        if (d->frames[i].tid == tid && d->frames[i].level == level)
            return (int)i + 1;
    d->frames = cd_xrealloc(d->frames, (d->nframes + 1) * sizeof *d->frames);
    d->frames[d->nframes] = (dframe){tid, level};
    return (int)++d->nframes;
}

static int vref_add(dap *d, vr_kind k, int frame, const cd_value *v, const char *ename)
{
    d->vrefs = cd_xrealloc(d->vrefs, (d->nvrefs + 1) * sizeof *d->vrefs);
    vref *r = &d->vrefs[d->nvrefs];
    memset(r, 0, sizeof *r);
    r->kind = k;
    r->frame = frame;
    if (v)
        r->v = *v;
    r->ename = ename ? cd_arena_strdup(&d->ar, ename) : NULL;
    return (int)++d->nvrefs;
}

/* Selects frame ID's thread and frame in the session; false (err set) when it is no longer there. */
static bool select_frame(dap *d, int id, cd_err *err)
{
    cd_session *s = &d->s;
    if (!s->target) {
        cd_fail(err, CD_EXIT_CMD, "no program: launch or attach first");
        return false;
    }
    if (id <= 0 || (size_t)id > d->nframes) {
        cd_fail(err, CD_EXIT_CMD, "frame %d is not known (frames are valid until the program resumes)", id);
        return false;
    }
    cd_session_select_tid(s, d->frames[id - 1].tid);
    const cd_stack *st = cd_session_stack(s, err);
    if (!st)
        return false;
    if ((size_t)d->frames[id - 1].level >= st->n) {
        cd_fail(err, CD_EXIT_CMD, "frame %d is gone", id);
        return false;
    }
    s->cur_frame = d->frames[id - 1].level;
    return true;
}

/* ---- capture of what the session prints ---- */

typedef struct capture {
    char *out, *err;
    size_t nout, nerr;
    FILE *ofp, *efp;
    FILE *save_o, *save_e;
} capture;

static void cap_begin(dap *d, capture *c)
{
    memset(c, 0, sizeof *c);
    c->ofp = open_memstream(&c->out, &c->nout);
    c->efp = open_memstream(&c->err, &c->nerr);
    c->save_o = d->s.out.fp;
    c->save_e = d->s.out.errfp;
    d->s.out.fp = c->ofp;
    d->s.out.errfp = c->efp;
}

static void cap_end(dap *d, capture *c)
{
    fclose(c->ofp);
    fclose(c->efp);
    d->s.out.fp = c->save_o;
    d->s.out.errfp = c->save_e;
}

static void cap_free(capture *c)
{
    free(c->out);
    free(c->err);
}

/* ---- values ---- */

static const char *const regnames[CD_NDWREGS] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
                                                  "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip"};

static bool readable(const cd_value *v)
{
    return v->where == V_MEM || v->where == V_BYTES;
}

/* The pointer V's target, when it makes sense to open: a non-null pointer to data. */
static bool pointee(cd_ectx *x, const cd_value *v, cd_value *out)
{
    cd_type *t = cd_type_strip(v->type);
    if (!t || t->kind != TY_PTR || !readable(v) || !t->target)
        return false;
    cd_type *p = cd_type_strip(t->target);
    if (!p || p->kind == TY_VOID || p->kind == TY_FUNC)
        return false;
    __int128 a;
    cd_err e, *save = x->err;
    x->err = &e;
    int rc = cd_value_int(x, v, &a);
    x->err = save;
    if (rc != 0 || a == 0)
        return false;
    memset(out, 0, sizeof *out);
    out->type = t->target;
    out->where = V_MEM;
    out->addr = (uint64_t)a;
    out->lval = true;
    out->regno = -1;
    return true;
}

static bool expandable(cd_ectx *x, const cd_value *v)
{
    cd_type *t = cd_type_strip(v->type);
    if (!t || !readable(v))
        return false;
    if (t->kind == TY_STRUCT || t->kind == TY_UNION)
        return t->complete;
    if (t->kind == TY_ARRAY)
        return t->count > 0;
    cd_value p;
    return pointee(x, v, &p);
}

/* One DAP variable: its value as `print` shows it, and a reference when it has parts. PARTS_OF:
 * the expression its parts are named from (ename, or NAME), different for an anonymous member,
 * whose members C names as the enclosing object's. */
static json_object *var_json2(dap *d, cd_ectx *x, int frame, const char *name, const cd_value *v, const char *ename,
                              const char *parts_of)
{
    cd_session *s = &d->s;
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    cd_buf b = {0}, tb = {0};
    cd_format_value(x, v, &o, true, &b);
    if (v->type)
        cd_type_name(x->vs, v->type, &tb);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "name", json_object_new_string(name));
    json_object_object_add(j, "value", json_object_new_string(cd_buf_str(&b)));
    json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
    if (ename)
        json_object_object_add(j, "evaluateName", json_object_new_string(ename));
    int ref = 0;
    if (expandable(x, v)) {
        ref = vref_add(d, VR_VALUE, frame, v, parts_of ? parts_of : ename ? ename : name);
        cd_type *t = cd_type_strip(v->type);
        if (t->kind == TY_ARRAY)
            json_object_object_add(j, "indexedVariables", json_object_new_int64(t->count));
    }
    json_object_object_add(j, "variablesReference", json_object_new_int(ref));
    cd_buf_free(&b);
    cd_buf_free(&tb);
    return j;
}

static json_object *var_json(dap *d, cd_ectx *x, int frame, const char *name, const cd_value *v, const char *ename)
{
    return var_json2(d, x, frame, name, v, ename, NULL);
}

/* The children of a value: members, elements [start, start+count), or the pointee. */
static void value_children(dap *d, cd_ectx *x, const vref *r, int64_t start, int64_t count, json_object *arr)
{
    cd_type *t = cd_type_strip(r->v.type);
    const char *e = r->ename;
    if (t->kind == TY_STRUCT || t->kind == TY_UNION) {
        cd_member *m;
        int n = cd_type_members(x->vs, t, &m, x->ar);
        for (int i = 0; i < n; i++) {
            cd_value mv = cd_value_sub(&r->v, m[i].type, m[i].offset);
            mv.bitsize = m[i].bitsize;
            mv.bitpos = m[i].bitpos;
            char *en = m[i].name ? cd_xasprintf("(%s).%s", e, m[i].name) : NULL;
            json_object_array_add(arr, var_json2(d, x, r->frame, m[i].name ? m[i].name : "<anonymous>", &mv, en,
                                                 m[i].name ? NULL : e));
            free(en);
        }
    } else if (t->kind == TY_ARRAY) {
        uint64_t es = cd_type_size(t->target);
        int64_t hi = t->count;
        if (start < 0)
            start = 0;
        if (count > 0 && start + count < hi)
            hi = start + count;
        if (hi - start > 10000) /* a client pages big arrays with start/count (indexedVariables) */
            hi = start + 10000;
        for (int64_t i = start; i < hi; i++) {
            cd_value ev = cd_value_sub(&r->v, t->target, (uint64_t)i * es);
            char nm[32];
            snprintf(nm, sizeof nm, "[%lld]", (long long)i);
            char *en = cd_xasprintf("(%s)[%lld]", e, (long long)i);
            json_object_array_add(arr, var_json(d, x, r->frame, nm, &ev, en));
            free(en);
        }
    } else {
        cd_value p;
        if (pointee(x, &r->v, &p)) {
            char *en = cd_xasprintf("*(%s)", e);
            char *nm = cd_xasprintf("*%s", e);
            json_object_array_add(arr, var_json(d, x, r->frame, nm, &p, en));
            free(en);
            free(nm);
        }
    }
}

/* ---- requests ---- */

static const char *sget(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static bool iget(json_object *o, const char *k, int64_t *out)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v))
        return false;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return true;
    }
    if (json_object_is_type(v, json_type_string)) { /* processId "${command:pickProcess}" gives a string */
        char *end;
        errno = 0;
        long long n = strtoll(json_object_get_string(v), &end, 10);
        if (errno || *end || end == json_object_get_string(v))
            return false;
        *out = n;
        return true;
    }
    return false;
}

static bool bget(json_object *o, const char *k, bool def)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_boolean)
               ? json_object_get_boolean(v)
               : def;
}

static json_object *capabilities(void)
{
    json_object *c = json_object_new_object();
    static const char *const yes[] = {"supportsConfigurationDoneRequest",
                                      "supportsFunctionBreakpoints",
                                      "supportsConditionalBreakpoints",
                                      "supportsHitConditionalBreakpoints",
                                      "supportsEvaluateForHovers",
                                      "supportsSetVariable",
                                      "supportsTerminateRequest",
                                      "supportTerminateDebuggee",
                                      "supportsDelayedStackTraceLoading",
                                      "supportsSteppingGranularity"};
    static const char *const no[] = {"supportsStepBack",          "supportsRestartFrame",     "supportsGotoTargetsRequest",
                                     "supportsCompletionsRequest", "supportsModulesRequest",   "supportsRestartRequest",
                                     "supportsExceptionOptions",   "supportsValueFormattingOptions",
                                     "supportsExceptionInfoRequest", "supportsLoadedSourcesRequest",
                                     "supportsDataBreakpoints",    "supportsReadMemoryRequest",
                                     "supportsDisassembleRequest", "supportsInstructionBreakpoints",
                                     "supportsLogPoints",          "supportsSetExpression"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        json_object_object_add(c, yes[i], json_object_new_boolean(1));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        json_object_object_add(c, no[i], json_object_new_boolean(0));
    return c;
}

static void note_fn(void *arg, const cd_signote *n)
{
    dap *d = arg;
    if (n->kind == CD_NOTE_SIGNAL) {
        char sb[16];
        char *m = cd_xasprintf("Thread %d received signal %s (%s), %s\n", (int)n->tid, cd_sig_name(n->sig, sb),
                               cd_sig_description(n->sig), n->passed ? "passed to the program" : "discarded");
        send_output(d, "console", m, strlen(m));
        free(m);
        return;
    }
    tsnap_note(d, n->tid, n->kind == CD_NOTE_THREAD_NEW);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "reason", json_object_new_string(n->kind == CD_NOTE_THREAD_NEW ? "started" : "exited"));
    json_object_object_add(b, "threadId", json_object_new_int(n->tid));
    send_event(d, "thread", b);
}

/* After a target is opened: thread events as they happen, the run loop's notes to the client. */
static void target_opened(dap *d)
{
    cd_ctl_set_thread_events(d->s.ctl, true);
    cd_ctl_set_note_fn(d->s.ctl, note_fn, d);
}

static int open_program(dap *d, json_object *args, cd_err *err)
{
    const char *prog = sget(args, "program");
    if (!prog || !*prog)
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "launch: \"program\" is required (the executable's path)");
    json_object *a = NULL;
    json_object_object_get_ex(args, "args", &a);
    size_t na = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
    char **argv = cd_xmalloc((na + 2) * sizeof *argv);
    argv[0] = cd_xstrdup(prog);
    for (size_t i = 0; i < na; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(a, i));
        argv[i + 1] = cd_xstrdup(s ? s : "");
    }
    argv[na + 1] = NULL;
    /* The program's stdin is /dev/null (the server's stdin may be the protocol), its stdout and
     * stderr pipes the output thread forwards. The launch inherits fds 0-2, the cwd and the
     * environment: set for it, then put back. */
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        for (size_t i = 0; argv[i]; i++)
            free(argv[i]);
        free(argv);
        return cd_fail(err, CD_EXIT_TARGET, "launch: pipe: %s", strerror(errno));
    }
    int save1 = dup(1), save2 = dup(2), cwdfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dup2(po[1], 1);
    dup2(pe[1], 2);
    const char *cwd = sget(args, "cwd");
    int rc = 0;
    if (cwd && *cwd && chdir(cwd) < 0)
        rc = cd_fail(err, CD_EXIT_TARGET, "launch: cannot change to cwd %s: %s", cwd, strerror(errno));
    json_object *env = NULL;
    json_object_object_get_ex(args, "env", &env);
    size_t nenv = 0;
    char **oldenv = NULL, **keys = NULL;
    if (env && json_object_is_type(env, json_type_object)) {
        json_object_object_foreach(env, k, v)
        {
            keys = cd_xrealloc(keys, (nenv + 1) * sizeof *keys);
            oldenv = cd_xrealloc(oldenv, (nenv + 1) * sizeof *oldenv);
            keys[nenv] = cd_xstrdup(k);
            const char *o = getenv(k);
            oldenv[nenv] = o ? cd_xstrdup(o) : NULL;
            nenv++;
            if (v && !json_object_is_type(v, json_type_null))
                setenv(k, json_object_get_string(v), 1);
            else
                unsetenv(k);
        }
    }
    cd_target *t = NULL;
    if (rc == 0) {
        cd_open_spec spec = {.kind = CD_OPEN_LAUNCH, .argv = argv};
        t = cd_target_open(&spec, err);
        if (!t)
            rc = -1;
    }
    for (size_t i = 0; i < nenv; i++) {
        if (oldenv[i])
            setenv(keys[i], oldenv[i], 1);
        else
            unsetenv(keys[i]);
        free(keys[i]);
        free(oldenv[i]);
    }
    free(keys);
    free(oldenv);
    if (cwdfd >= 0) {
        if (fchdir(cwdfd) < 0)
            fprintf(stderr, "cdbg: dap: cannot return to the working directory: %s\n", strerror(errno));
        close(cwdfd);
    }
    dup2(save1, 1);
    dup2(save2, 2);
    close(save1);
    close(save2);
    close(po[1]);
    close(pe[1]);
    if (rc == 0) {
        d->pout = po[0];
        d->perr = pe[0];
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        d->out_started = pthread_create(&d->out_th, NULL, output_main, d) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!d->out_started) {
            close(po[0]);
            close(pe[0]);
        }
        cd_session_set_run_argv(&d->s, argv);
    } else {
        close(po[0]);
        close(pe[0]);
    }
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
    if (rc < 0)
        return -1;
    capture c;
    cap_begin(d, &c);
    rc = cd_session_set_target(&d->s, t, err);
    if (rc == 0) {
        target_opened(d);
        tsnap_take(d);
        d->running = 1;
        g_running = d->s.target;
        rc = cd_session_start(&d->s, err);
        g_running = NULL;
        d->running = 0;
    }
    cap_end(d, &c);
    send_output(d, "console", c.err, c.nerr);
    cap_free(&c);
    if (rc < 0)
        cd_session_close_target(&d->s);
    return rc;
}

static void req_launch(dap *d, json_object *req, json_object *args)
{
    cd_err err;
    cd_err_clear(&err);
    if (d->s.target || d->s.program_ended)
        return respond_err(d, req, "launch: a program is already being debugged (one per server run)");
    if (open_program(d, args, &err) < 0)
        return respond_err(d, req, err.msg);
    d->launched = true;
    d->stop_on_entry = bget(args, "stopOnEntry", false);
    json_object *pb = json_object_new_object();
    json_object_object_add(pb, "name", json_object_new_string(sget(args, "program")));
    json_object_object_add(pb, "systemProcessId", json_object_new_int(d->s.target->pid));
    json_object_object_add(pb, "isLocalProcess", json_object_new_boolean(1));
    json_object_object_add(pb, "startMethod", json_object_new_string("launch"));
    respond(d, req, NULL);
    send_event(d, "process", pb);
    send_event(d, "initialized", NULL);
}

static void req_attach(dap *d, json_object *req, json_object *args)
{
    cd_err err;
    cd_err_clear(&err);
    if (d->s.target || d->s.program_ended)
        return respond_err(d, req, "attach: a program is already being debugged (one per server run)");
    int64_t pid = 0;
    const char *core = sget(args, "coreFile"), *prog = sget(args, "program");
    cd_open_spec spec = {.mode = CD_ATTACH_STOP_ALL_DEFERRED};
    if (core) {
        if (!prog)
            return respond_err(d, req, "attach: a \"coreFile\" needs the \"program\" that dumped it");
        spec.kind = CD_OPEN_CORE;
        spec.exe = prog;
        spec.core = core;
    } else if (iget(args, "processId", &pid) && pid > 0 && pid < 0x7fffffff) {
        spec.kind = CD_OPEN_ATTACH;
        spec.pid = (pid_t)pid;
    } else {
        return respond_err(d, req, "attach: give \"processId\" (a PID), or \"coreFile\" and \"program\"");
    }
    cd_target *t = cd_target_open(&spec, &err);
    if (!t)
        return respond_err(d, req, err.msg);
    capture c;
    cap_begin(d, &c);
    int rc = cd_session_set_target(&d->s, t, &err);
    cap_end(d, &c);
    send_output(d, "console", c.err, c.nerr);
    cap_free(&c);
    if (rc < 0)
        return respond_err(d, req, err.msg);
    d->core = t->caps.post_mortem;
    if (!d->core)
        target_opened(d);
    d->stop_on_entry = bget(args, "stopOnEntry", false);
    respond(d, req, NULL);
    send_event(d, "initialized", NULL);
}

static json_object *source_json(const char *file)
{
    json_object *src = json_object_new_object();
    const char *base = strrchr(file, '/');
    json_object_object_add(src, "name", json_object_new_string(base ? base + 1 : file));
    json_object_object_add(src, "path", json_object_new_string(file));
    return src;
}

/* "3" (stop from the 3rd hit on, as gdb's ignore count), or OP N with OP one of == != < <= > >= %. */
static bool parse_hitcond(const char *h, char op[3], unsigned long *val)
{
    static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", "%"};
    while (*h == ' ')
        h++;
    snprintf(op, 3, ">=");
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strncmp(h, ops[i], strlen(ops[i]))) {
            snprintf(op, 3, "%s", ops[i]);
            h += strlen(ops[i]);
            break;
        }
    while (*h == ' ')
        h++;
    unsigned long long v;
    char *e;
    errno = 0;
    v = strtoull(h, &e, 10);
    while (*e == ' ')
        e++;
    if (errno || *e || e == h || (op[0] == '%' && v == 0))
        return false;
    *val = (unsigned long)v;
    return true;
}

static srcbps *src_entry(dap *d, const char *path)
{
    for (size_t i = 0; i < d->nsrcs; i++)
        if ((!path && !d->srcs[i].path) || (path && d->srcs[i].path && !strcmp(path, d->srcs[i].path)))
            return &d->srcs[i];
    d->srcs = cd_xrealloc(d->srcs, (d->nsrcs + 1) * sizeof *d->srcs);
    srcbps *e = &d->srcs[d->nsrcs++];
    memset(e, 0, sizeof *e);
    e->path = path ? cd_xstrdup(path) : NULL;
    return e;
}

/* A DAP Breakpoint: verified when it has a location, the line it landed on (LINE, the one asked
 * for, when it has none). */
static void bp_fill(cd_session *s, cd_bp *b, int line, json_object *r)
{
    json_object_object_add(r, "id", json_object_new_int(b->id));
    bool ok = !b->pending && b->nlocs > 0;
    json_object_object_add(r, "verified", json_object_new_boolean(ok));
    const cd_pcinfo *pi;
    if (ok && cd_symtab_lookup(s->sym, b->locs[0].addr, &pi) > 0 && pi[0].file && pi[0].line > 0) {
        json_object_object_add(r, "line", json_object_new_int(pi[0].line));
        json_object_object_add(r, "source", source_json(pi[0].file));
    } else if (line > 0) {
        json_object_object_add(r, "line", json_object_new_int(line));
    }
    if (b->pending)
        json_object_object_add(r, "message",
                               json_object_new_string("pending: set when a library that has it is loaded"));
}

/* setBreakpoints (PATH: the source) and setFunctionBreakpoints (PATH NULL): the list replaces the
 * one set before for the same source. */
static void set_bps(dap *d, json_object *req, json_object *args, const char *path)
{
    cd_session *s = &d->s;
    if (!s->target)
        return respond_err(d, req, "no program: launch or attach before setting breakpoints");
    srcbps *e = src_entry(d, path);
    for (size_t i = 0; i < e->n; i++) {
        cd_bp *b = cd_ctl_bp_find(s->ctl, e->ids[i]);
        cd_err de;
        if (b && cd_ctl_bp_delete(s->ctl, b, &de) < 0)
            send_output(d, "console", de.msg, strlen(de.msg));
    }
    e->n = 0;
    json_object *list = NULL;
    json_object_object_get_ex(args, "breakpoints", &list);
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    json_object *out = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *bj = json_object_array_get_idx(list, i);
        int64_t line = 0;
        const char *name = sget(bj, "name");
        json_object *r = json_object_new_object();
        char *spec = NULL;
        if (path && iget(bj, "line", &line) && line > 0)
            spec = cd_xasprintf("%s:%lld", path, (long long)line);
        else if (!path && name && *name)
            spec = cd_xstrdup(name);
        const char *cond = sget(bj, "condition"), *hit = sget(bj, "hitCondition");
        char op[3] = "";
        unsigned long hv = 0;
        cd_err err;
        cd_err_clear(&err);
        cd_bp *b = NULL;
        char *note = NULL;
        if (!spec)
            cd_fail(&err, CD_EXIT_CMD, path ? "a breakpoint needs a \"line\"" : "a function breakpoint needs a \"name\"");
        else if (hit && *hit && !parse_hitcond(hit, op, &hv))
            cd_fail(&err, CD_EXIT_CMD, "hitCondition '%s': expected N (from the Nth hit on) or OP N with OP one of "
                                       "== != < <= > >= %%", hit);
        else {
            cd_scope sc;
            cd_session_scope(s, &sc);
            b = cd_ctl_break_flags(s->ctl, &sc, "break", spec, CD_BPK_USER, cond && *cond ? cond : NULL,
                                   CD_BPF_PENDING_OK, &note, &err);
        }
        if (b) {
            if (op[0]) {
                snprintf(b->hit_op, sizeof b->hit_op, "%s", op);
                b->hit_val = hv;
            }
            e->ids = cd_xrealloc(e->ids, (e->n + 1) * sizeof *e->ids);
            e->ids[e->n++] = b->id;
            bp_fill(s, b, (int)line, r);
            if (!b->pending && note)
                json_object_object_add(r, "message", json_object_new_string(note));
        } else {
            json_object_object_add(r, "verified", json_object_new_boolean(0));
            json_object_object_add(r, "message", json_object_new_string(err.msg));
            if (line > 0)
                json_object_object_add(r, "line", json_object_new_int((int)line));
        }
        free(note);
        free(spec);
        json_object_array_add(out, r);
    }
    json_object *body = json_object_new_object();
    json_object_object_add(body, "breakpoints", out);
    respond(d, req, body);
}

static void send_stopped(dap *d, const char *reason, pid_t tid, const char *desc, int bp_id)
{
    json_object *b = json_object_new_object();
    json_object_object_add(b, "reason", json_object_new_string(reason));
    json_object_object_add(b, "threadId", json_object_new_int(tid));
    json_object_object_add(b, "allThreadsStopped", json_object_new_boolean(1));
    if (desc) {
        json_object_object_add(b, "description", json_object_new_string(desc));
        json_object_object_add(b, "text", json_object_new_string(desc));
    }
    if (bp_id > 0) {
        json_object *ids = json_object_new_array();
        json_object_array_add(ids, json_object_new_int(bp_id));
        json_object_object_add(b, "hitBreakpointIds", ids);
    }
    send_event(d, "stopped", b);
}

static void program_ended(dap *d, int code)
{
    stop_output(d, true);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "exitCode", json_object_new_int(code));
    send_event(d, "exited", b);
    send_event(d, "terminated", NULL);
}

typedef enum { RUN_CONT, RUN_STEP, RUN_FINISH } run_kind;

/* Resumes the program and reports how it stopped: the stopped event, or exited and terminated. */
static void run_target(dap *d, run_kind k, cd_step_kind sk)
{
    cd_session *s = &d->s;
    epoch_reset(d);
    json_object *cb = json_object_new_object();
    cd_thread *th = cd_session_thread(s);
    json_object_object_add(cb, "threadId", json_object_new_int(th ? th->tid : s->target->pid));
    json_object_object_add(cb, "allThreadsContinued", json_object_new_boolean(1));
    send_event(d, "continued", cb);
    cd_stop st;
    memset(&st, 0, sizeof st);
    cd_err err;
    cd_err_clear(&err);
    cd_scope sc;
    if (k == RUN_FINISH)
        cd_session_scope(s, &sc);
    g_running = s->target;
    if (d->stop_requested) /* a pause that came before the run began */
        cd_target_interrupt(s->target);
    int rc = k == RUN_CONT   ? cd_ctl_continue(s->ctl, &st, &err)
             : k == RUN_STEP ? cd_ctl_step(s->ctl, th, sk, 1, &st, &err)
                             : cd_ctl_finish(s->ctl, &sc, s->cur_frame, &st, &err);
    g_running = NULL;
    /* a pause that landed after the run had ended would stop the next one at once */
    if (s->target)
        s->target->interrupted = 0;
    d->running = 0;
    d->stop_requested = 0;
    if (rc < 0) {
        char *m = cd_xasprintf("%s\n", err.msg);
        send_output(d, "console", m, strlen(m));
        free(m);
        cd_stop_free(&st);
        if (s->target)
            send_stopped(d, "exception", cd_session_thread(s) ? cd_session_thread(s)->tid : s->target->pid, err.msg, 0);
        return;
    }
    capture c;
    cap_begin(d, &c);
    cd_err re;
    cd_err_clear(&re);
    bool alive = cd_render_stop(s, "dap", &st, &re);
    cap_end(d, &c);
    send_output(d, "console", c.err, c.nerr);
    cap_free(&c);
    if (!alive) {
        program_ended(d, st.reason == CD_STOP_EXITED ? st.status : 128 + st.sig);
    } else {
        /* breakpoints a library load resolved, or an unload made pending again, on the way */
        for (size_t i = 0; i < st.nbpnotes; i++) {
            cd_bp *b = cd_ctl_bp_find(s->ctl, st.bpnotes[i].bp_id);
            if (!b)
                continue;
            json_object *bj = json_object_new_object(), *ev = json_object_new_object();
            bp_fill(s, b, 0, bj);
            json_object_object_add(ev, "reason", json_object_new_string("changed"));
            json_object_object_add(ev, "breakpoint", bj);
            send_event(d, "breakpoint", ev);
        }
        const char *reason = "pause";
        char *desc = NULL;
        char sb[16];
        switch (st.reason) {
        case CD_STOP_BREAKPOINT:
        case CD_STOP_TRAP:
            reason = "breakpoint";
            break;
        case CD_STOP_STEP:
        case CD_STOP_LOCATION:
        case CD_STOP_FINISHED:
            reason = "step";
            break;
        case CD_STOP_SIGNAL:
            reason = "exception";
            desc = cd_xasprintf("%s, %s", cd_sig_name(st.sig, sb), cd_sig_description(st.sig));
            break;
        case CD_STOP_WATCHPOINT:
            reason = "data breakpoint";
            break;
        default:
            break;
        }
        if (st.cond_error && !desc)
            desc = cd_xstrdup(st.cond_error);
        send_stopped(d, reason, st.tid, desc, st.reason == CD_STOP_BREAKPOINT ? st.bp_id : 0);
        free(desc);
    }
    cd_stop_free(&st);
}

static bool need_live(dap *d, json_object *req, const char *what)
{
    if (!d->s.target) {
        respond_err(d, req, d->s.program_ended ? "the program has ended" : "no program: launch or attach first");
        return false;
    }
    if (!d->s.target->caps.can_run) {
        char *m = cd_xasprintf("cannot %s: the target is a core file", what);
        respond_err(d, req, m);
        free(m);
        return false;
    }
    return true;
}

/* The thread a request names (threadId), selected; false with an error response. */
static bool select_thread(dap *d, json_object *req, json_object *args)
{
    int64_t tid;
    if (!iget(args, "threadId", &tid))
        return true; /* the selected one */
    cd_session *s = &d->s;
    for (size_t i = 0; i < s->target->nthreads; i++)
        if (s->target->threads[i]->tid == tid && !s->target->threads[i]->gone) {
            cd_session_select_tid(s, (pid_t)tid);
            return true;
        }
    char m[96];
    snprintf(m, sizeof m, "no thread %lld in the program", (long long)tid);
    respond_err(d, req, m);
    return false;
}

static void req_run(dap *d, json_object *req, json_object *args, const char *cmd)
{
    if (!need_live(d, req, cmd) || !select_thread(d, req, args))
        return;
    cd_session *s = &d->s;
    bool insn = sget(args, "granularity") && !strcmp(sget(args, "granularity"), "instruction");
    run_kind k = RUN_CONT;
    cd_step_kind sk = CD_STEP_LINE_OVER;
    if (!strcmp(cmd, "next")) {
        k = RUN_STEP;
        sk = insn ? CD_STEP_INSN_OVER : CD_STEP_LINE_OVER;
    } else if (!strcmp(cmd, "stepIn")) {
        k = RUN_STEP;
        sk = insn ? CD_STEP_INSN_INTO : CD_STEP_LINE_INTO;
    } else if (!strcmp(cmd, "stepOut")) {
        k = RUN_FINISH;
        cd_err err;
        s->cur_frame = 0;
        cd_scope sc;
        cd_session_scope(s, &sc);
        if (cd_ctl_finish_check(s->ctl, &sc, 0, &err) < 0)
            return respond_err(d, req, err.msg);
    }
    tsnap_take(d);
    d->running = 1; /* before the response: a pause the client sends after it finds us running */
    if (k == RUN_CONT) {
        json_object *b = json_object_new_object();
        json_object_object_add(b, "allThreadsContinued", json_object_new_boolean(1));
        respond(d, req, b);
    } else {
        respond(d, req, NULL);
    }
    run_target(d, k, sk);
}

static void req_config_done(dap *d, json_object *req)
{
    cd_session *s = &d->s;
    bool run = s->target && !d->core && !d->stop_on_entry;
    if (run) {
        tsnap_take(d);
        d->running = 1; /* before the response: a pause the client sends after it must interrupt */
    }
    respond(d, req, NULL);
    if (!s->target)
        return;
    cd_thread *th = cd_session_thread(s);
    pid_t tid = th ? th->tid : s->target->pid;
    if (d->core) {
        char sb[16], *desc = NULL;
        if (s->target->death.signo > 0)
            desc = cd_xasprintf("Program terminated with signal %s, %s", cd_sig_name(s->target->death.signo, sb),
                                cd_sig_description(s->target->death.signo));
        send_stopped(d, desc ? "exception" : "pause", tid, desc, 0);
        free(desc);
    } else if (d->stop_on_entry) {
        send_stopped(d, "entry", tid, NULL, 0);
    } else {
        run_target(d, RUN_CONT, CD_STEP_LINE_OVER);
    }
}

static void req_threads(dap *d, json_object *req)
{
    cd_session *s = &d->s;
    json_object *arr = json_object_new_array();
    for (size_t i = 0; s->target && i < s->target->nthreads; i++) {
        cd_thread *th = s->target->threads[i];
        if (th->gone)
            continue;
        json_object *t = json_object_new_object();
        json_object_object_add(t, "id", json_object_new_int(th->tid));
        char *nm = cd_xasprintf("%s (%d)", th->name[0] ? th->name : "?", (int)th->tid);
        json_object_object_add(t, "name", json_object_new_string(nm));
        free(nm);
        json_object_array_add(arr, t);
    }
    json_object *b = json_object_new_object();
    json_object_object_add(b, "threads", arr);
    respond(d, req, b);
}

static void req_stack(dap *d, json_object *req, json_object *args)
{
    cd_session *s = &d->s;
    if (!s->target)
        return respond_err(d, req, "no program: launch or attach first");
    if (!select_thread(d, req, args))
        return;
    cd_err err;
    const cd_stack *st = cd_session_stack(s, &err);
    if (!st)
        return respond_err(d, req, err.msg);
    int64_t start = 0, levels = 0;
    iget(args, "startFrame", &start);
    iget(args, "levels", &levels);
    if (start < 0)
        start = 0;
    size_t hi = st->n;
    if (levels > 0 && (size_t)(start + levels) < hi)
        hi = (size_t)(start + levels);
    pid_t tid = cd_session_thread(s)->tid;
    json_object *arr = json_object_new_array();
    for (size_t i = (size_t)start; i < hi; i++) {
        const cd_frame *f = &st->frames[i];
        json_object *fj = json_object_new_object();
        json_object_object_add(fj, "id", json_object_new_int(frame_id(d, tid, f->level)));
        const char *fn = f->info.func ? f->info.func : "??";
        json_object_object_add(fj, "name", json_object_new_string(fn));
        if (f->info.file && f->info.line > 0) {
            json_object_object_add(fj, "source", source_json(f->info.file));
            json_object_object_add(fj, "line", json_object_new_int(f->info.line));
        } else {
            json_object_object_add(fj, "line", json_object_new_int(0));
            json_object_object_add(fj, "presentationHint", json_object_new_string("subtle"));
            if (f->info.module)
                json_object_object_add(fj, "moduleId", json_object_new_string(f->info.module));
        }
        json_object_object_add(fj, "column", json_object_new_int(f->info.column > 0 ? f->info.column : 0));
        char pc[32];
        snprintf(pc, sizeof pc, "0x%llx", (unsigned long long)f->pc);
        json_object_object_add(fj, "instructionPointerReference", json_object_new_string(pc));
        json_object_array_add(arr, fj);
    }
    json_object *b = json_object_new_object();
    json_object_object_add(b, "stackFrames", arr);
    json_object_object_add(b, "totalFrames", json_object_new_int((int)st->n));
    respond(d, req, b);
}

static void req_scopes(dap *d, json_object *req, json_object *args)
{
    int64_t fid = 0;
    cd_err err;
    if (!iget(args, "frameId", &fid) || !select_frame(d, (int)fid, &err))
        return respond_err(d, req, iget(args, "frameId", &fid) ? err.msg : "scopes: \"frameId\" is required");
    static const struct {
        const char *name, *hint;
        vr_kind k;
    } sc[] = {{"Locals", "locals", VR_LOCALS}, {"Arguments", "arguments", VR_ARGS}, {"Registers", "registers", VR_REGS}};
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < 3; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(sc[i].name));
        json_object_object_add(o, "presentationHint", json_object_new_string(sc[i].hint));
        json_object_object_add(o, "variablesReference", json_object_new_int(vref_add(d, sc[i].k, (int)fid, NULL, NULL)));
        json_object_object_add(o, "expensive", json_object_new_boolean(sc[i].k == VR_REGS));
        json_object_array_add(arr, o);
    }
    json_object *b = json_object_new_object();
    json_object_object_add(b, "scopes", arr);
    respond(d, req, b);
}

static void req_variables(dap *d, json_object *req, json_object *args)
{
    cd_session *s = &d->s;
    int64_t ref = 0, start = 0, count = 0;
    iget(args, "start", &start);
    iget(args, "count", &count);
    if (!iget(args, "variablesReference", &ref) || ref <= 0 || (size_t)ref > d->nvrefs)
        return respond_err(d, req, "variables: unknown variablesReference (references are valid until the "
                                   "program resumes)");
    vref r = d->vrefs[ref - 1];
    cd_err err;
    cd_err_clear(&err);
    if (!select_frame(d, r.frame, &err))
        return respond_err(d, req, err.msg);
    cd_ectx x;
    cd_session_ectx(&x, s, &d->ar, &err);
    json_object *arr = json_object_new_array();
    if (r.kind == VR_LOCALS || r.kind == VR_ARGS) {
        cd_var *vars = NULL;
        /* a frame without debug info (n < 0) has no variables to list: an empty scope, as gdb's */
        int n = cd_frame_vars(&x, r.kind == VR_ARGS, r.kind == VR_LOCALS, &vars, &err);
        for (int i = 0; i < n; i++) {
            cd_value v = cd_var_value_or_error(&x, vars[i].mod, &vars[i].die);
            json_object_array_add(arr, var_json(d, &x, r.frame, vars[i].name, &v, vars[i].name));
        }
        free(vars);
    } else if (r.kind == VR_REGS) {
        const cd_frame *f = cd_session_frame(s, &err);
        for (int i = 0; f && i < CD_NDWREGS; i++) {
            if (!(f->regs_valid & (1u << i)))
                continue;
            json_object *o = json_object_new_object();
            char v[32], en[16];
            snprintf(v, sizeof v, "0x%llx", (unsigned long long)f->regs[i]);
            snprintf(en, sizeof en, "$%s", regnames[i]);
            json_object_object_add(o, "name", json_object_new_string(regnames[i]));
            json_object_object_add(o, "value", json_object_new_string(v));
            json_object_object_add(o, "evaluateName", json_object_new_string(en));
            json_object_object_add(o, "variablesReference", json_object_new_int(0));
            json_object_array_add(arr, o);
        }
    } else {
        value_children(d, &x, &r, start, count, arr);
    }
    json_object *b = json_object_new_object();
    json_object_object_add(b, "variables", arr);
    respond(d, req, b);
}

/* Commands the debug console may not run: they move the program behind the client's back, or
 * end the session's target, which the client drives with its own requests. */
static bool repl_refused(const cd_command *c)
{
    static const char *const no[] = {"quit", "detach", "kill", "run", "attach", "core", "signal", "inferior"};
    if (c->flags & CD_CMD_RUNS)
        return true;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (!strcmp(c->name, no[i]))
            return true;
    return false;
}

static void req_evaluate(dap *d, json_object *req, json_object *args)
{
    cd_session *s = &d->s;
    const char *expr = sget(args, "expression"), *ctx = sget(args, "context");
    if (!expr)
        return respond_err(d, req, "evaluate: \"expression\" is required");
    int64_t fid = 0;
    cd_err err;
    cd_err_clear(&err);
    if (iget(args, "frameId", &fid) && !select_frame(d, (int)fid, &err))
        return respond_err(d, req, err.msg);
    if (!fid && s->target) { /* no frame: the selected thread's innermost one */
        cd_thread *th = cd_session_thread(s);
        if (th)
            fid = frame_id(d, th->tid, 0);
        s->cur_frame = 0;
    }
    bool repl = ctx && !strcmp(ctx, "repl");
    if (repl) {
        /* a cdbg command when the first word names one; otherwise an expression, as `print` */
        char word[64];
        const char *p = expr + strspn(expr, " \t");
        snprintf(word, sizeof word, "%.*s", (int)strcspn(p, " \t/"), p);
        const cd_command *c = cd_command_find(word);
        if (c) {
            if (repl_refused(c)) {
                char *m = cd_xasprintf("`%s` cannot run from the debug console: use the client's own "
                                       "continue/step/pause/disconnect", c->name);
                respond_err(d, req, m);
                free(m);
                return;
            }
            capture cp;
            cap_begin(d, &cp);
            int rc = cd_session_exec(s, p, &err);
            cap_end(d, &cp);
            if (rc < 0) {
                respond_err(d, req, err.msg[0] ? err.msg : "the command failed");
                cap_free(&cp);
                return;
            }
            cd_buf b = {0};
            cd_buf_append(&b, cp.out ? cp.out : "", cp.nout);
            cd_buf_append(&b, cp.err ? cp.err : "", cp.nerr);
            size_t n = strlen(cd_buf_str(&b));
            char *text = cd_xstrdup(cd_buf_str(&b));
            while (n && text[n - 1] == '\n')
                text[--n] = 0;
            json_object *bj = json_object_new_object();
            json_object_object_add(bj, "result", json_object_new_string(text));
            json_object_object_add(bj, "variablesReference", json_object_new_int(0));
            respond(d, req, bj);
            free(text);
            cd_buf_free(&b);
            cap_free(&cp);
            /* a `set var` may have changed what the frames read: unwind again when asked */
            if (s->target)
                s->stack_gen = s->target->stop_gen - 1;
            return;
        }
    }
    cd_ectx x;
    cd_session_ectx(&x, s, &d->ar, &err);
    cd_value v;
    if (cd_eval_string(&x, expr, &v) != 0)
        return respond_err(d, req, err.msg);
    if (x.wrote) {
        cd_unwinder_flush(s->unw);
        s->stack_gen = s->target->stop_gen - 1;
    }
    json_object *vj = var_json(d, &x, (int)fid, expr, &v, expr);
    json_object *b = json_object_new_object(), *f;
    json_object_object_get_ex(vj, "value", &f);
    json_object_object_add(b, "result", json_object_get(f));
    json_object_object_get_ex(vj, "type", &f);
    json_object_object_add(b, "type", json_object_get(f));
    json_object_object_get_ex(vj, "variablesReference", &f);
    json_object_object_add(b, "variablesReference", json_object_get(f));
    if (json_object_object_get_ex(vj, "indexedVariables", &f))
        json_object_object_add(b, "indexedVariables", json_object_get(f));
    json_object_put(vj);
    respond(d, req, b);
}

static void req_set_variable(dap *d, json_object *req, json_object *args)
{
    cd_session *s = &d->s;
    int64_t ref = 0;
    const char *name = sget(args, "name"), *value = sget(args, "value");
    if (!name || !value || !iget(args, "variablesReference", &ref) || ref <= 0 || (size_t)ref > d->nvrefs)
        return respond_err(d, req, "setVariable: needs a known variablesReference, \"name\" and \"value\"");
    vref r = d->vrefs[ref - 1];
    cd_err err;
    cd_err_clear(&err);
    if (!select_frame(d, r.frame, &err))
        return respond_err(d, req, err.msg);
    char *lhs;
    if (r.kind == VR_REGS)
        lhs = cd_xasprintf("$%s", name);
    else if (r.kind != VR_VALUE)
        lhs = cd_xstrdup(name);
    else if (name[0] == '[')
        lhs = cd_xasprintf("(%s)%s", r.ename, name);
    else if (name[0] == '*')
        lhs = cd_xasprintf("*(%s)", r.ename);
    else
        lhs = cd_xasprintf("(%s).%s", r.ename, name);
    char *src = cd_xasprintf("%s = %s", lhs, value);
    cd_ectx x;
    cd_session_ectx(&x, s, &d->ar, &err);
    cd_value v;
    int rc = cd_eval_string(&x, src, &v);
    free(src);
    if (rc != 0) {
        free(lhs);
        return respond_err(d, req, err.msg);
    }
    if (x.wrote) {
        cd_unwinder_flush(s->unw);
        s->stack_gen = s->target->stop_gen - 1;
    }
    json_object *vj = var_json(d, &x, r.frame, name, &v, lhs);
    free(lhs);
    json_object *b = json_object_new_object(), *f;
    json_object_object_get_ex(vj, "value", &f);
    json_object_object_add(b, "value", json_object_get(f));
    json_object_object_get_ex(vj, "type", &f);
    json_object_object_add(b, "type", json_object_get(f));
    json_object_object_get_ex(vj, "variablesReference", &f);
    json_object_object_add(b, "variablesReference", json_object_get(f));
    json_object_put(vj);
    respond(d, req, b);
}

/* disconnect/terminate: the program killed (terminate) or let go: detached with every breakpoint
 * out of its code, running, untraced (the target's close). */
static void end_target(dap *d, bool kill_it)
{
    cd_session *s = &d->s;
    if (!s->target)
        return;
    cd_target *t = s->target;
    if (!t->caps.post_mortem) {
        if (kill_it && !t->launched)
            kill(t->pid, SIGKILL); /* the close then finds it gone */
        t->launched = kill_it;     /* close kills what it launched and detaches the rest */
    }
    cd_session_close_target(s);
}

static void req_disconnect(dap *d, json_object *req, json_object *args)
{
    bool term = bget(args, "terminateDebuggee", d->launched);
    end_target(d, term);
    stop_output(d, false);
    respond(d, req, NULL);
    d->done = true;
}

static void req_terminate(dap *d, json_object *req)
{
    bool had = d->s.target != NULL;
    end_target(d, true);
    respond(d, req, NULL);
    if (had) {
        stop_output(d, false);
        send_event(d, "terminated", NULL);
    }
}

static void dispatch(dap *d, json_object *req)
{
    const char *cmd = sget(req, "command");
    json_object *args = NULL;
    json_object_object_get_ex(req, "arguments", &args);
    if (!strcmp(cmd, "initialize")) {
        respond(d, req, capabilities());
    } else if (!strcmp(cmd, "launch")) {
        req_launch(d, req, args);
    } else if (!strcmp(cmd, "attach")) {
        req_attach(d, req, args);
    } else if (!strcmp(cmd, "configurationDone")) {
        req_config_done(d, req);
    } else if (!strcmp(cmd, "setBreakpoints")) {
        json_object *src = NULL;
        json_object_object_get_ex(args, "source", &src);
        const char *path = sget(src, "path");
        if (!path)
            return respond_err(d, req, "setBreakpoints: \"source\" needs a \"path\"");
        set_bps(d, req, args, path);
    } else if (!strcmp(cmd, "setFunctionBreakpoints")) {
        set_bps(d, req, args, NULL);
    } else if (!strcmp(cmd, "setExceptionBreakpoints")) {
        json_object *b = json_object_new_object();
        json_object_object_add(b, "breakpoints", json_object_new_array());
        respond(d, req, b); /* no exception filters: signals stop by the `handle` table */
    } else if (!strcmp(cmd, "threads")) {
        req_threads(d, req);
    } else if (!strcmp(cmd, "stackTrace")) {
        req_stack(d, req, args);
    } else if (!strcmp(cmd, "scopes")) {
        req_scopes(d, req, args);
    } else if (!strcmp(cmd, "variables")) {
        req_variables(d, req, args);
    } else if (!strcmp(cmd, "evaluate")) {
        req_evaluate(d, req, args);
    } else if (!strcmp(cmd, "setVariable")) {
        req_set_variable(d, req, args);
    } else if (!strcmp(cmd, "continue") || !strcmp(cmd, "next") || !strcmp(cmd, "stepIn") ||
               !strcmp(cmd, "stepOut")) {
        req_run(d, req, args, cmd);
    } else if (!strcmp(cmd, "pause")) {
        respond(d, req, NULL); /* the program was interrupted when the request arrived, or is stopped */
    } else if (!strcmp(cmd, "disconnect")) {
        req_disconnect(d, req, args);
    } else if (!strcmp(cmd, "terminate")) {
        req_terminate(d, req);
    } else {
        char *m = cd_xasprintf("unsupported request '%s' (docs/dap.md lists what cdbg answers)", cmd);
        respond_err(d, req, m);
        free(m);
    }
}

static int serve_fds(dap *d)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_pause_signal; /* no SA_RESTART: the run loop's wait sees the interrupt */
    sigaction(SIGUSR2, &sa, NULL);
    d->main_th = pthread_self();
    pthread_t rt;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay the main thread's, the tracer's */
    int prc = pthread_create(&rt, NULL, reader_main, d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        fprintf(stderr, "cdbg: dap: cannot start the reader thread: %s\n", strerror(prc));
        return CD_EXIT_CMD;
    }
    while (!d->done) {
        pthread_mutex_lock(&d->qlock);
        while (!d->qhead && !d->eof)
            pthread_cond_wait(&d->qcond, &d->qlock);
        dreq *r = d->qhead;
        if (r) {
            d->qhead = r->next;
            if (!d->qhead)
                d->qtail = NULL;
        }
        pthread_mutex_unlock(&d->qlock);
        if (!r)
            break; /* the client closed the connection without disconnect */
        dispatch(d, r->j);
        json_object_put(r->j);
        free(r);
    }
    /* leave the target as the brief's rule says: a launched program killed, an attached one
     * detached and running, untraced, its breakpoints out */
    end_target(d, d->launched);
    stop_output(d, false);
    epoch_reset(d);
    /* the reader ends at the client's EOF; after a disconnect, the client closes next */
    shutdown(d->in_fd, SHUT_RD);
    if (d->in_fd == STDIN_FILENO || !d->eof) {
        /* a pipe cannot be shut down: the reader is left to the process's exit */
        pthread_detach(rt);
    } else {
        pthread_join(rt, NULL);
    }
    pthread_mutex_lock(&d->qlock);
    while (d->qhead) {
        dreq *r = d->qhead;
        d->qhead = r->next;
        json_object_put(r->j);
        free(r);
    }
    pthread_mutex_unlock(&d->qlock);
    return 0;
}

int cd_dap_serve(const cd_dap_opts *o)
{
    cd_err err;
    cd_err_clear(&err);
    int lfd = -1, cfd = -1;
    if (o->transport == CD_DAP_TCP) {
        int port = 0;
        char shown[96];
        lfd = cd_dap_listen_tcp(o->addr, &port, shown, sizeof shown, &err);
        if (lfd < 0)
            goto fail;
        printf("listening on %s\n", shown);
        fflush(stdout);
    } else if (o->transport == CD_DAP_UNIX) {
        lfd = cd_dap_listen_unix(o->addr, &err);
        if (lfd < 0)
            goto fail;
        printf("listening on %s\n", o->addr);
        fflush(stdout);
    }
    static dap d; /* one server per process: the signal handler and threads share it */
    memset(&d, 0, sizeof d);
    pthread_mutex_init(&d.wlock, NULL);
    pthread_mutex_init(&d.qlock, NULL);
    pthread_cond_init(&d.qcond, NULL);
    d.pout = d.perr = -1;
    if (pipe2(d.wake, O_CLOEXEC) < 0) {
        cd_fail(&err, CD_EXIT_CMD, "dap: pipe: %s", strerror(errno));
        goto fail;
    }
    if (lfd >= 0) {
        do
            cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        while (cfd < 0 && errno == EINTR);
        int e2 = errno;
        close(lfd); /* one client per server run */
        lfd = -1;
        if (o->transport == CD_DAP_UNIX)
            unlink(o->addr);
        if (cfd < 0) {
            cd_fail(&err, CD_EXIT_CMD, "dap: accept: %s", strerror(e2));
            goto fail;
        }
        d.in_fd = d.out_fd = cfd;
    } else {
        /* stdio: the protocol keeps the original 0 and 1; fd 0 becomes /dev/null (a launched
         * program inherits it) and fd 1 stderr, so nothing printed by mistake corrupts a frame */
        d.in_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        d.out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        int nul = open("/dev/null", O_RDONLY);
        if (d.in_fd < 0 || d.out_fd < 0 || nul < 0) {
            cd_fail(&err, CD_EXIT_CMD, "dap: cannot set up stdio: %s", strerror(errno));
            goto fail;
        }
        dup2(nul, STDIN_FILENO);
        close(nul);
        dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    cd_session_init(&d.s, false);
    cd_values_install(&d.s);
    d.s.out.fp = stderr;
    int status = serve_fds(&d);
    cd_session_fini(&d.s);
    for (size_t i = 0; i < d.nsrcs; i++) {
        free(d.srcs[i].path);
        free(d.srcs[i].ids);
    }
    free(d.srcs);
    free(d.tsnap);
    if (cfd >= 0)
        close(cfd);
    return status;
fail:
    if (lfd >= 0) {
        close(lfd);
        if (o->transport == CD_DAP_UNIX)
            unlink(o->addr);
    }
    fprintf(stderr, "cdbg: %s\n", err.msg);
    return err.code ? err.code : CD_EXIT_CMD;
}
