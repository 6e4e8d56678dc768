/* Finding a live process's module files: the build that is running, never just the file that now
 * has its name.
 *
 * A service upgraded under it keeps running the old build: /proc/PID/maps says "PATH (deleted)"
 * and PATH holds the new build (package managers rename the new file over the old one). In a
 * container, PATH is a path in the process's mount namespace and the same path in ours is another
 * file or none. libdwfl's dwfl_linux_proc_find_elf opens PATH as it is, or for a deleted file
 * rebuilds an ELF from the loaded segments (no section headers: no .symtab, no CFI), so a deploy
 * cost every name in the executable, and a replaced library would have been read as the new build.
 *
 * So the build-id is read from the process's memory (the loaded PT_NOTE), and every file is checked
 * against it before it is used, in this order: PATH through /proc/PID/root (the process's own
 * root: the file it would open), the mapped inode itself through /proc/PID/map_files/START-END
 * (the exact file, deleted or not; needs CAP_SYS_ADMIN), /proc/PID/exe for the main executable
 * (readable by anyone who may ptrace the process), and only then libdwfl's ELF from memory. Debug
 * info is then found by that build-id as for any module. */
#include "symbols/symbols_internal.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/target.h"

/* The build-id note in the image loaded at BASE, read from the target's memory. Returns its
 * length (0 when there is none or it cannot be read). */
int cd_symtab__memory_build_id(cd_target *t, uint64_t base, unsigned char id[CD_MAX_BUILD_ID])
{
    Elf64_Ehdr eh;
    if (!t->ops->read_mem)
        return 0;
    if (t->ops->read_mem(t, base, &eh, sizeof eh) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
        eh.e_phnum > 256)
        return 0;
    Elf64_Phdr ph[256];
    size_t phlen = (size_t)eh.e_phnum * sizeof ph[0];
    if (t->ops->read_mem(t, base + eh.e_phoff, ph, phlen) != (ssize_t)phlen)
        return 0;
    /* The image is mapped at BASE for its lowest PT_LOAD, page-aligned (vaddr 0 for PIE and
     * libraries, the link address for ET_EXEC). */
    uint64_t low = UINT64_MAX;
    for (int i = 0; i < eh.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < low)
            low = ph[i].p_vaddr;
    if (low == UINT64_MAX)
        return 0;
    uint64_t bias = base - (low & ~(uint64_t)0xfff);
    for (int i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type != PT_NOTE || ph[i].p_filesz == 0 || ph[i].p_filesz > 4096)
            continue;
        unsigned char buf[4096];
        size_t n = (size_t)ph[i].p_filesz;
        if (t->ops->read_mem(t, bias + ph[i].p_vaddr, buf, n) != (ssize_t)n)
            continue;
        for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= n;) {
            Elf64_Nhdr nh;
            memcpy(&nh, buf + off, sizeof nh);
            size_t name_at = off + sizeof nh, desc_at = name_at + ((nh.n_namesz + 3u) & ~3u);
            size_t next = desc_at + ((nh.n_descsz + 3u) & ~3u);
            if (desc_at > n || nh.n_descsz > n - desc_at || next <= off)
                break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(buf + name_at, "GNU", 4) == 0 &&
                nh.n_descsz > 0 && nh.n_descsz <= CD_MAX_BUILD_ID) {
                memcpy(id, buf + desc_at, nh.n_descsz);
                return (int)nh.n_descsz;
            }
            off = next;
        }
    }
    return 0;
}

/* Opens PATH if it is a regular file whose build-id is ID: 0 with *fd and *elf set, else -1. */
static int open_if_build(const char *path, const unsigned char *id, int idlen, int *fd_out, Elf **elf_out)
{
    struct stat st;
    /* libdwfl would open a FIFO or a device too (and block): only regular files */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const void *have;
    ssize_t n = e ? dwelf_elf_gnu_build_id(e, &have) : -1;
    if (n == idlen && memcmp(have, id, (size_t)idlen) == 0) {
        *fd_out = fd;
        *elf_out = e;
        return 0;
    }
    if (e)
        elf_end(e);
    close(fd);
    return -1;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The mapping of the module at BASE whose file is PATH (as maps spells it): its map_files name. */
static char *map_files_path(cd_target *t, const char *path, uint64_t base)
{
    const cd_mapping *m;
    size_t n;
    cd_err err;
    if (!t->ops->mappings || t->ops->mappings(t, &m, &n, &err) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (m[i].path && m[i].start >= base && strcmp(m[i].path, path) == 0)
            return cd_xasprintf("/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)t->pid, m[i].start, m[i].end);
    return NULL;
}

int cd_symtab__live_find_elf(cd_target *t, int *lost, Dwfl_Module *mod, void **ud, const char *name,
                             Dwarf_Addr base, char **file_name, Elf **elfp)
{
    *lost = CD_FILE_OK;
    unsigned char id[CD_MAX_BUILD_ID];
    int idlen = name[0] == '/' ? cd_symtab__memory_build_id(t, base, id) : 0;
    if (idlen <= 0)
        return dwfl_linux_proc_find_elf(mod, ud, name, base, file_name, elfp);

    static const char deleted[] = " (deleted)";
    size_t len = strlen(name), dl = sizeof deleted - 1;
    bool is_deleted = len > dl && strcmp(name + len - dl, deleted) == 0;
    char *path = cd_xasprintf("%.*s", (int)(is_deleted ? len - dl : len), name);
    int fd = -1;
    for (int i = 0; i < 4 && fd < 0; i++) {
        char *cand = i == 0   ? cd_xasprintf("/proc/%d/root%s", (int)t->pid, path)
                     : i == 1 ? cd_xstrdup(path)
                     : i == 2 ? map_files_path(t, name, base)
                              : cd_xasprintf("/proc/%d/exe", (int)t->pid);
        if (cand && open_if_build(cand, id, idlen, &fd, elfp) == 0)
            /* PATH itself when it is this very file in our namespace too (debuglink search and
             * messages then see the real directory), else the name that reaches it */
            *file_name = cd_xstrdup(i == 1 || (i == 0 && same_file(cand, path)) ? path : cand);
        free(cand);
    }
    if (fd < 0) {
        /* No file on disk is the running build: the loaded segments are all that is left (a file
         * that is there but another build is never used). */
        struct stat st;
        *lost = stat(path, &st) == 0 ? CD_FILE_OTHER_BUILD : CD_FILE_GONE;
        char *mem_name = cd_xasprintf("%s%s", name, is_deleted ? "" : deleted);
        fd = dwfl_linux_proc_find_elf(mod, ud, mem_name, base, file_name, elfp);
        free(mem_name);
    }
    free(path);
    return fd;
}
