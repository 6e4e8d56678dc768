/* Private glue between the symbol layer and the unwinder (both own one Dwfl), plus a small
 * uint64-keyed hash map both use for per-PC memoisation. Not part of the public contract. */
#ifndef CD_SYMBOLS_INTERNAL_H
#define CD_SYMBOLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/symbols.h"

/* libdwfl allows one dwfl_attach_state per Dwfl and offers no detach, while the thread callbacks
 * must reach whichever unwinder is currently driving the Dwfl. So the symtab attaches once with
 * itself as the callbacks' argument and keeps a slot naming the active unwinder. */
bool cd_symtab__attach(cd_symtab *s, const Dwfl_Thread_Callbacks *cb, cd_err *err);
void **cd_symtab__unwind_slot(cd_symtab *s);

/* find_debuginfo callback: libdwfl's standard search, then the inflated-copy cache
 * (debugcache.c) for debug files whose sections are compressed. */
int cd_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                      char **debuginfo_file_name);

/* debuginfod.c: the debug file (FILE NULL) or the source FILE (its DWARF path) of build-id ID from
 * libdebuginfod (its cache, then the servers; only the cache in the one-shot modes), saying each
 * download on stderr and each failure once. An fd, *path malloc'd; -1 when there is none. NAME names
 * the module in what is said. */
int cd_debuginfod__debuginfo(const unsigned char *id, int len, const char *name, char **path);
int cd_debuginfod__source(const unsigned char *id, int len, const char *file, char **path);
/* Whether MOD's debug info can only come from debuginfod (none on this machine, DEBUGINFOD_URLS set
 * and not off): the preloader leaves such a module alone, so that nothing is asked before the first
 * command that needs it (`-ex 'set debuginfod enabled off'` comes first). debugcache.c. */
bool cd_debug__wants_debuginfod(cd_symtab *s, Dwfl_Module *mod);
/* What was served at PATH for NAME is not its debug file: said once (no more asking), removed. */
void cd_debuginfod__bad_file(const char *name, const char *path);

#define CD_MAX_BUILD_ID 64
/* The build-id note of the image loaded at BASE in T's memory: its length, 0 if none (findelf.c). */
int cd_symtab__memory_build_id(cd_target *t, uint64_t base, unsigned char id[CD_MAX_BUILD_ID]);
/* find_elf for a live process (findelf.c): the file whose build-id is the running one's, through
 * the process's root, map_files or exe; else the loaded image, *lost saying why no file was used. */
enum { CD_FILE_OK, CD_FILE_GONE, CD_FILE_OTHER_BUILD };
int cd_symtab__live_find_elf(cd_target *t, int *lost, Dwfl_Module *mod, void **ud, const char *name,
                             Dwarf_Addr base, char **file_name, Elf **elfp);

/* libdwfl's debuginfo_path (Dwfl_Callbacks) made of D, shared by the symbol tables that use D:
 * follows cd_debugdirs_set. */
char **cd_debugdirs_path_ref(cd_debugdirs *d);
/* The debug directories S reads debug files through (debugcache.c's find_debuginfo). */
cd_debugdirs *cd_symtab__debugdirs(cd_symtab *s);

/* Open-addressing map uint64 -> void* (key 0 is reserved for "empty"; callers map 0 elsewhere). */
typedef struct cd_u64map {
    uint64_t *keys;
    void **vals;
    size_t cap, n;
} cd_u64map;

void *cd_u64map_get(const cd_u64map *m, uint64_t key, bool *found);
void cd_u64map_put(cd_u64map *m, uint64_t key, void *val);
/* Calls fn on every value (may be NULL) and empties the map, keeping its storage. */
void cd_u64map_clear(cd_u64map *m, void (*fn)(void *));
void cd_u64map_free(cd_u64map *m, void (*fn)(void *));

#endif
