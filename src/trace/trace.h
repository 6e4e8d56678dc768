/* The trace core: tracepoints that log without stopping the program (issue 12).
 *
 * It resolves PATTERNs to probes (a function-name regex over every function with an ELF symbol,
 * MODULE:REGEX, FILE:LINE), hands them to a backend (backend.h), and turns each record the backend
 * delivers into an event as DATA (cd_trace_event): arguments, -e expressions, --if, return value
 * and duration, all evaluated by the expression code `print` uses, through a snapshot target of
 * the hit (target.h cd_snapshot_*). Rendering is the caller's (src/commands/render_trace.c).
 *
 * Cost per record, the hot path: expressions are parsed once; each probe keeps its function's
 * parameter DIEs, its frame template, the rule that gives the CFA from the registers at the probe,
 * and the prologue's spills of argument registers below the stack pointer (see trace.c); a record
 * then costs one snapshot_set (a copy of the sampled stack), one arena and the formatting.
 *
 * Lifetime: cd_trace_new → cd_trace_resolve → cd_trace_arm → cd_trace_poll... → cd_trace_disarm →
 * cd_trace_poll (the rest) → cd_trace_free. The target and symtab are the caller's (a live target:
 * attached NONSTOP is enough for the uprobe backend). Nothing here prints. */
#ifndef CD_TRACE_H
#define CD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "trace/backend.h"
#include "util/util.h"

typedef struct cd_trace_opts {
    char *const *patterns;
    size_t npatterns;
    char *const *exprs;      /* -e EXPR, in order */
    size_t nexprs;
    const char *cond;        /* --if COND, or NULL */
    bool want_return;        /* --ret */
    bool json;               /* values as json-c objects (cd_trace_val.json) instead of text */
    uint64_t max_hits;       /* entries delivered (after --if) before the core stops: 0 no limit */
    size_t buffer_size;      /* --buffer-size (0: the backend's default) */
    cd_tb_kind backend;
    bool prefer_uprobe;      /* auto tries uprobe first (a launched program, held by SIGSTOP while
                                the probes go in: the inline backend cannot stop it then) */
} cd_trace_opts;

/* One resolved location (what --list prints). Strings live as long as the cd_trace. */
typedef struct cd_trace_match {
    const char *func;        /* "work" */
    const char *module;      /* "hot_O0", "libtrace.so" */
    const char *file;        /* source file, or NULL without debug info */
    int line;
    uint64_t addr;           /* the probe: past the prologue when the line table tells */
    uint64_t func_lo, func_hi;
    bool has_debug;
    const char *backend;     /* after cd_trace_arm: the backend that took it */
} cd_trace_match;

typedef struct cd_trace_val {
    const char *name;
    const char *text;        /* !json: the value as `print` shows it (or "<error: ...>") */
    json_object *json;       /* json: as `print --json` encodes it ({"error": MSG} on failure);
                                borrowed, freed by the core after the render call */
    const char *json_raw;    /* json with json NULL: the value as JSON text ("5", "true"), which is
                                what json-c writes for that object (the core's compiled plan) */
    bool late;               /* it read memory the backend did not copy at the hit, from the process
                                as it was when the record was handled (text: " (read after the
                                hit)" ends it; JSON: its name in the event's "late") */
} cd_trace_val;

/* One event, valid during the render call only. */
typedef struct cd_trace_event {
    cd_rec_kind kind;        /* ENTRY, RETURN or DROPPED */
    uint32_t probe;
    uint64_t key;            /* ENTRY, RETURN: no other probe of any trace in this process has it, and
                                func, file, line, the names of args and exprs are the same at every
                                event of one key (a renderer caches what it makes of them); 0: none */
    const char *func, *file; /* file NULL without debug info */
    int line;
    pid_t tid;
    uint64_t ts_ns;          /* CLOCK_MONOTONIC */
    const cd_trace_val *args;
    size_t nargs;
    const cd_trace_val *exprs;
    size_t nexprs;
    /* RETURN */
    bool has_ret;            /* false: void, or the type is unknown (ret_type NULL) */
    const char *ret_type;
    cd_trace_val ret;
    bool has_dur;            /* the entry of this call was seen */
    uint64_t dur_ns;
    /* DROPPED */
    uint64_t dropped;
    cd_drop_why drop_why;    /* records (a full buffer) or returns that will never come */
} cd_trace_event;

typedef int (*cd_trace_render_fn)(void *arg, const cd_trace_event *ev);

typedef struct cd_trace cd_trace;

/* Parses --if and -e against SYM (a bad one: CD_EXIT_USAGE, before anything is resolved or armed). */
cd_trace *cd_trace_new(cd_target *t, cd_symtab *sym, const cd_trace_opts *o, cd_err *err);
void cd_trace_free(cd_trace *tr);
/* Only checks that COND and the EXPRs parse as C expressions, with no target (a cast to a typedef
 * name is checked later, against the symbols). */
int cd_trace_check_exprs(const char *cond, char *const *exprs, size_t nexprs, cd_err *err);

/* Patterns → probes. No match: CD_EK_NOT_FOUND (code CD_EXIT_CMD) naming near functions. */
int cd_trace_resolve(cd_trace *tr, cd_err *err);
size_t cd_trace_matches(cd_trace *tr, const cd_trace_match **out);
/* Notes produced while resolving and arming ("work: inline refused (...): uprobe took it"): the
 * caller shows them; NULL when none. Caller frees. */
char *cd_trace_take_notes(cd_trace *tr);

/* Creates the backend(s) and installs every probe. */
int cd_trace_arm(cd_trace *tr, cd_err *err);
/* Moves an armed trace to another view of the same process (same address space, same probes): a
 * launched program is armed while ptrace holds it at main, then handed over to a NONSTOP view.
 * Symbol-derived data is recomputed against SYM; the old target and symtab may be freed after. */
int cd_trace_rebase(cd_trace *tr, cd_target *t, cd_symtab *sym, cd_err *err);
/* Delivers the available events to RENDER, waiting up to timeout_ms for the first. Returns the
 * number of records handled, 0 on timeout, -1 (err; CD_EK_EXITED when the process is gone and
 * everything has been delivered). */
int cd_trace_poll(cd_trace *tr, int timeout_ms, cd_trace_render_fn render, void *arg, cd_err *err);
/* --max-hits reached: the caller disarms. */
bool cd_trace_limit_reached(const cd_trace *tr);
/* Removes every probe; what is still buffered is delivered by cd_trace_poll afterwards. */
int cd_trace_disarm(cd_trace *tr, cd_err *err);
/* Async-signal-safe: the backends' emergency. */
void cd_trace_emergency(cd_trace *tr);

/* The exit summary, per match: entries the backend recorded, entries shown (after --if), drops. */
typedef struct cd_trace_count {
    uint64_t hits, shown, dropped;
    uint64_t lost_returns; /* --ret: calls whose return will never be reported (longjmp, exception,
                              the backend's nesting limit) */
    uint64_t running;      /* --ret: calls still running when the trace ended (not lost) */
} cd_trace_count;
void cd_trace_counts(cd_trace *tr, size_t i, cd_trace_count *out);
/* Drops not attributed to one probe. */
uint64_t cd_trace_dropped_other(cd_trace *tr);

/* The compiled plan (trace.c): arguments and `-e` names whose DWARF location at the probe is a
 * register or a register + offset, of an integer or bool type, are read straight from the record
 * and formatted without the snapshot target, the unwinder or the DWARF evaluator. The environment
 * variable CDBG_TRACE_PLAN chooses: unset or "on" (the plan where it applies), "off" (the general
 * path for everything), "check" (both on every record, the general path's output kept, every value
 * compared: the unit test of the plan). */
typedef struct cd_trace_plan_stats {
    uint64_t planned_probes;  /* probes whose every value has a plan */
    uint64_t fast;            /* entries rendered from the plan */
    uint64_t compared, differ; /* check: values compared, and how many differed */
    char first_diff[256];     /* check: the first difference, "work: x: plan 5, general 6" */
    uint64_t partial;         /* entries that came as compact records (backend.h regs_only) */
} cd_trace_plan_stats;
void cd_trace_plan_stats_get(const cd_trace *tr, cd_trace_plan_stats *out);

#endif
