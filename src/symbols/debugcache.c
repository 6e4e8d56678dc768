/* A cache of decompressed separate debug files, keyed by build-id.
 *
 * Debian's -dbg packages ship their DWARF with SHF_COMPRESSED sections, and libdw inflates every
 * one of them when it opens the file: ~60 ms for libc6-dbg on every run that shows a libc frame
 * with its line. The first time a compressed debug file is used we write an inflated copy to
 * $CDBG_CACHE_DIR (default $XDG_CACHE_HOME/cdbg/debuginfo or ~/.cache/cdbg/debuginfo) and from
 * then on hand libdwfl that copy, which it simply maps. The key is the build-id, so a copy can
 * never be stale; it is written to a temporary name and renamed, so a reader never sees half a
 * file. Still, an entry is never trusted: a full disk, a crash before the data reached it, another
 * tool or a user can leave it empty, truncated or holding another file, and libdwfl does not
 * check the file a find_debuginfo callback hands it (another library's debug file gives every
 * function a wrong name). So each use checks that it is a regular ELF file whose sections all lie
 * within its size and whose build-id is the module's; a bad entry is removed and rebuilt from the
 * original. CDBG_CACHE_DIR=off disables the cache. Any failure falls back to the original file. */
#include "symbols/symbols_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/debuginfod.h"
#include "util/util.h"

/* gdb's debug-file-directory: `set debug-file-directory`'s (NULL: never set), and libdwfl's search
 * path made of it. The session owns one and shares it with the symbol tables it makes (a symbol
 * table made without one owns its own): each one's libdwfl reads the path through debuginfo_path
 * when it looks for a module's debug file, so a change reaches modules loaded afterwards; the
 * paths it replaced stay allocated until the owner frees it (a preloading thread may be reading
 * one). */
struct cd_debugdirs {
    char *user_dirs;
    char *path;
    char **old_paths;
    size_t n_old_paths;
};

cd_debugdirs *cd_debugdirs_new(void)
{
    return cd_xcalloc(1, sizeof(cd_debugdirs));
}

void cd_debugdirs_free(cd_debugdirs *d)
{
    if (!d)
        return;
    free(d->user_dirs);
    free(d->path);
    for (size_t i = 0; i < d->n_old_paths; i++)
        free(d->old_paths[i]);
    free(d->old_paths);
    free(d);
}

char *cd_debugdirs_get(const cd_debugdirs *d)
{
    if (d && d->user_dirs)
        return cd_xstrdup(d->user_dirs);
    const char *e = getenv("CDBG_DEBUG_FILE_DIRECTORY");
    return cd_xstrdup(e && *e ? e : "/usr/lib/debug");
}

static char *build_path(const cd_debugdirs *d)
{
    /* CDBG_DEBUGINFO_PATH overrides libdwfl's whole search path (same syntax as eu-stack
     * --debuginfo-path), e.g. to check behaviour without separate debug info */
    const char *dp = getenv("CDBG_DEBUGINFO_PATH");
    if (dp && *dp)
        return cd_xstrdup(dp);
    /* libdwfl's default (the file's directory, its .debug/, then the debug directories, where it
     * also looks up .build-id/) with gdb's debug-file-directory in place of /usr/lib/debug */
    char *dirs = cd_debugdirs_get(d);
    char *p = cd_xasprintf(":.debug:%s", dirs);
    free(dirs);
    return p;
}

char **cd_debugdirs_path_ref(cd_debugdirs *d)
{
    if (!d->path)
        d->path = build_path(d);
    return &d->path;
}

void cd_debugdirs_set(cd_debugdirs *d, const char *dirs)
{
    free(d->user_dirs);
    d->user_dirs = cd_xstrdup(dirs);
    if (d->path) {
        d->old_paths = cd_xrealloc(d->old_paths, (d->n_old_paths + 1) * sizeof *d->old_paths);
        d->old_paths[d->n_old_paths++] = d->path;
    }
    d->path = build_path(d);
}

static char *cache_dir(void)
{
    const char *d = getenv("CDBG_CACHE_DIR");
    if (d && *d)
        return strcmp(d, "off") ? cd_xstrdup(d) : NULL;
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x == '/')
        return cd_xasprintf("%s/cdbg/debuginfo", x);
    const char *h = getenv("HOME");
    if (h && *h == '/')
        return cd_xasprintf("%s/.cache/cdbg/debuginfo", h);
    return NULL;
}

static int mkdirs(const char *path)
{
    char *p = cd_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0700) < 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    }
    int r = mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return r;
}

static bool has_compressed_sections(int fd)
{
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e)
        return false;
    bool found = false;
    Elf_Scn *scn = NULL;
    while (!found && (scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED))
            found = true;
    }
    elf_end(e);
    return found;
}

static int copy_fd(int from, int to)
{
    char buf[1 << 16];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(from, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        for (ssize_t w = 0; w < n;) {
            ssize_t r = write(to, buf + w, (size_t)(n - w));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -1;
            w += r;
        }
        off += n;
    }
}

/* Writes an inflated copy of the ELF file `src` to `final`. */
static int write_inflated(int src, const char *dir, const char *final)
{
    char *tmp = cd_xasprintf("%s/.tmp.%d.XXXXXX", dir, (int)getpid());
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    int rc = -1;
    Elf *e = NULL;
    if (copy_fd(src, fd) < 0)
        goto out;
    e = elf_begin(fd, ELF_C_RDWR, NULL);
    if (!e)
        goto out;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
            goto out;
    }
    if (elf_update(e, ELF_C_WRITE) < 0)
        goto out;
    elf_end(e);
    e = NULL;
    if (rename(tmp, final) < 0)
        goto out;
    rc = 0;
out:
    if (e)
        elf_end(e);
    close(fd);
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

static bool exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Whether libdwfl's standard search can find anything on this machine. When it cannot, libdw
 * 0.188 goes on to load the debuginfod client (dlopen of libdebuginfod and some 35 libraries
 * behind it: curl, gnutls, krb5...) for every module without debug info, the vDSO included, even
 * with no DEBUGINFOD_URLS to ask. That costs more than the rest of a thread dump, so we look first;
 * and when DEBUGINFOD_URLS is set, debuginfod.c asks instead of libdwfl (progress lines, the off
 * switch, one warning for a dead server rather than a timeout per module). */
static bool worth_searching(const cd_debugdirs *dd, Dwfl_Module *mod, const char *file_name,
                            const char *debuglink_file)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    char hex[130] = "";
    if (n > 1 && n <= 64)
        for (int i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", bits[i]);
    const char *slash = file_name && file_name[0] == '/' ? strrchr(file_name, '/') : NULL;
    int dl = slash ? (int)(slash - file_name) : 0;
    if (debuglink_file && slash) {
        const char *fmts[] = {"%.*s/%s", "%.*s/.debug/%s"};
        for (size_t i = 0; i < 2; i++) {
            char *p = cd_xasprintf(fmts[i], dl, file_name, debuglink_file);
            bool ok = strcmp(p, file_name) != 0 && exists(p);
            free(p);
            if (ok)
                return true;
        }
    }
    /* the debug directories: DIR/.build-id/xx/rest.debug and DIR/FILE'S-DIR/DEBUGLINK */
    char *dirs = cd_debugdirs_get(dd);
    bool found = false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        if (hex[0]) {
            char *p = cd_xasprintf("%s/.build-id/%.2s/%s.debug", d, hex, hex + 2);
            found = exists(p);
            free(p);
        }
        if (!found && debuglink_file && slash) {
            char *p = cd_xasprintf("%s%.*s/%s", d, dl, file_name, debuglink_file);
            found = exists(p);
            free(p);
        }
    }
    free(dirs);
    return found;
}

static char *cache_path(Dwfl_Module *mod, char **dir_out)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n <= 1 || n > 64)
        return NULL;
    char *dir = cache_dir();
    if (!dir)
        return NULL;
    char hex[130];
    for (int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", bits[i]);
    *dir_out = dir;
    return cd_xasprintf("%s/%s.debug", dir, hex);
}

/* Is the cache entry open at FD an intact copy of MOD's debug file? See the top of the file. */
static bool entry_valid(Dwfl_Module *mod, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr))
        return false;
    uint64_t size = (uint64_t)st.st_size;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e)
        return false;
    bool ok = false;
    GElf_Ehdr eh;
    size_t shnum;
    if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || elf_getshdrnum(e, &shnum) != 0 || shnum == 0 ||
        eh.e_shoff > size || (uint64_t)shnum * eh.e_shentsize > size - eh.e_shoff)
        goto out;
    /* Truncation: every section with contents must end within the file. */
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn)) != NULL;) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            goto out;
        if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
            goto out;
    }
    const unsigned char *want;
    GElf_Addr vaddr;
    int wn = dwfl_module_build_id(mod, &want, &vaddr);
    const void *have;
    ssize_t hn = dwelf_elf_gnu_build_id(e, &have);
    ok = wn > 0 && hn == wn && memcmp(want, have, (size_t)wn) == 0;
out:
    elf_end(e);
    return ok;
}

/* Opens the cache entry PATH if it is valid; removes it if it is not, so it is rebuilt. */
static int open_entry(Dwfl_Module *mod, const char *path)
{
    /* O_NONBLOCK: a FIFO put there must not block the open (it is then refused as not regular). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (entry_valid(mod, fd))
        return fd;
    close(fd);
    unlink(path);
    return -1;
}

/* The module's debug file from debuginfod (debuginfod.c), checked as a cache entry is: libdwfl
 * would take whatever a server sent, and another file's DWARF names every function wrongly. */
static int from_debuginfod(Dwfl_Module *mod, const char *modname, const char *file_name, char **debuginfo_file_name)
{
    /* the vDSO's DWARF is the kernel's debug package's, which no server is likely to have; asking
     * would cost a round trip (and a "not found" note) on every run */
    if (!cd_debuginfod_usable() || !modname || modname[0] == '[')
        return -1;
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n <= 0)
        return -1;
    char *got = NULL;
    const char *name = file_name && *file_name ? file_name : modname;
    int fd = cd_debuginfod__debuginfo(bits, n, name, &got);
    if (fd < 0)
        return -1;
    if (!entry_valid(mod, fd)) {
        close(fd);
        cd_debuginfod__bad_file(name, got);
        free(got);
        return -1;
    }
    *debuginfo_file_name = got;
    return fd;
}

bool cd_debug__wants_debuginfod(cd_symtab *s, Dwfl_Module *mod)
{
    if (!cd_debuginfod_usable() || getenv("CDBG_DEBUGINFO_PATH"))
        return false;
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    if (!elf)
        return false;
    /* DWARF of its own: libdwfl never asks for a separate file */
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) == 0)
        for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
            GElf_Shdr sh;
            const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
            if (n && !strcmp(n, ".debug_info"))
                return false;
        }
    const char *mainfile = NULL;
    dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
    GElf_Word crc;
    const char *link = dwelf_elf_gnu_debuglink(elf, &crc);
    return !worth_searching(cd_symtab__debugdirs(s), mod, mainfile, link);
}

int cd_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                      char **debuginfo_file_name)
{
    /* A user-given search path (CDBG_DEBUGINFO_PATH) is libdwfl's business entirely. */
    bool own_path = getenv("CDBG_DEBUGINFO_PATH") != NULL;
    char *dir = NULL, *path = own_path ? NULL : cache_path(mod, &dir);
    if (path) {
        /* An inflated copy made earlier, if it is intact. */
        int cfd = open_entry(mod, path);
        if (cfd >= 0) {
            *debuginfo_file_name = path;
            free(dir);
            return cfd;
        }
    }
    /* the module's userdata is its symtab (report() in symbols.c) */
    cd_symtab *s = *userdata;
    int fd;
    bool fetched = false;
    if (!own_path && !worth_searching(s ? cd_symtab__debugdirs(s) : NULL, mod, file_name, debuglink_file)) {
        fd = from_debuginfod(mod, modname, file_name, debuginfo_file_name);
        if (fd < 0) {
            free(path);
            free(dir);
            errno = ENOENT;
            return -1;
        }
        fetched = true;
    } else {
        fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
                                          debuginfo_file_name);
    }
    /* libdwfl has already opened this file for itself (it keeps the handle it validated), so this
     * run inflates it as usual; the copy is for the next run. Not a downloaded file's: its copy
     * would outlive `set debuginfod enabled off`. */
    if (fd >= 0 && path && !fetched && has_compressed_sections(fd) && mkdirs(dir) == 0)
        write_inflated(fd, dir, path);
    free(path);
    free(dir);
    return fd;
}
