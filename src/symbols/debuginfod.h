/* debuginfod: separate debug info and sources fetched by build-id from the servers named in
 * DEBUGINFOD_URLS (docs/debuginfod.md).
 *
 * The client library (libdebuginfod.so.1) is dlopen'd on the first query, and only when
 * DEBUGINFOD_URLS is set: it pulls in ~35 libraries (curl, gnutls, krb5...) that a plain thread dump
 * must not pay for. The settings are process-wide, like the environment they come from; every query
 * is serialised (a libdebuginfod client is not thread-safe and the symbol preloader runs in a thread
 * of its own). */
#ifndef CD_SYMBOLS_DEBUGINFOD_H
#define CD_SYMBOLS_DEBUGINFOD_H

#include <stdbool.h>

/* gdb's `set debuginfod enabled on|off|ask`. The default is on: setting DEBUGINFOD_URLS is the
 * opt-in (libdwfl's tools behave so); ask asks once on the terminal, and is off without one. */
typedef enum { CD_DBGI_ON, CD_DBGI_OFF, CD_DBGI_ASK } cd_dbgi_mode;

void cd_debuginfod_set_mode(cd_dbgi_mode m);
cd_dbgi_mode cd_debuginfod_mode(void);
const char *cd_debuginfod_mode_name(cd_dbgi_mode m);
/* Parses "on", "off", "ask" (and 1/0, yes/no, enable/disable as gdb's booleans); false otherwise. */
bool cd_debuginfod_parse_mode(const char *s, cd_dbgi_mode *m);

/* The one-shot production modes (stacks, deadlock, trace, profile, gcore, lockorder) set this: the
 * servers are never asked, only libdebuginfod's cache is read (what an earlier session downloaded),
 * so a slow or dead server cannot hold up a look at a production process. --debuginfod lifts it. */
void cd_debuginfod_set_cache_only(bool on);

/* --json: the progress lines and notes on stderr are JSON objects ({"event":"debuginfod",...}). */
void cd_debuginfod_set_json(bool on);

/* DEBUGINFOD_URLS when set and not empty, else NULL. */
const char *cd_debuginfod_urls(void);

/* Whether a query may happen at all (URLs set, not off, no failure said so far): cheap, no dlopen. */
bool cd_debuginfod_usable(void);

#endif
