/* Self-describing patch pages (contract in patchmap.h). */
#include "target/patchmap.h"

#include <string.h>

int cd_pp_init(cd_target *t, uint64_t base, uint32_t kind, cd_err *err)
{
    cd_pp_head h;
    memset(&h, 0, sizeof h);
    h.magic = CD_PP_MAGIC;
    h.version = CD_PP_VERSION;
    h.kind = kind;
    h.cap = CD_PP_CAP;
    return t->ops->write_mem(t, base + CD_PP_HDR_OFF, &h, sizeof h, err);
}

int cd_pp_add(cd_target *t, uint64_t base, const cd_pp_entry *e, size_t n, cd_err *err)
{
    uint64_t hdr = base + CD_PP_HDR_OFF;
    cd_pp_head h;
    if (cd_target_read_full(t, hdr, &h, sizeof h) < 0 || h.magic != CD_PP_MAGIC)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "the patch page header at 0x%llx is not readable",
                        (unsigned long long)hdr);
    if (h.n + n > h.cap)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "the patch page header at 0x%llx is full",
                        (unsigned long long)hdr);
    if (n && t->ops->write_mem(t, hdr + CD_PP_HEAD + (uint64_t)h.n * sizeof *e, e, n * sizeof *e, err) < 0)
        return -1;
    uint32_t nn = h.n + (uint32_t)n;
    return t->ops->write_mem(t, hdr + offsetof(cd_pp_head, n), &nn, sizeof nn, err);
}

int cd_pp_set_shadow(cd_target *t, uint64_t base, uint64_t shadow, uint32_t sh_n, uint32_t sh_size,
                     uint32_t sh_depth, cd_err *err)
{
    uint64_t hdr = base + CD_PP_HDR_OFF;
    uint32_t g[4] = {sh_n, sh_size, sh_depth, 0};
    if (t->ops->write_mem(t, hdr + offsetof(cd_pp_head, sh_n), g, sizeof g, err) < 0)
        return -1;
    return t->ops->write_mem(t, hdr + offsetof(cd_pp_head, shadow), &shadow, sizeof shadow, err);
}

bool cd_pp_lookup(cd_pp_read_fn rd, void *arg, uint64_t pc, cd_pp_hit *out)
{
    uint64_t base = pc & ~(CD_PP_SPAN - 1);
    cd_pp_head h;
    if (pc - base >= CD_PP_HDR_OFF || rd(arg, base + CD_PP_HDR_OFF, &h, sizeof h) < 0 || h.magic != CD_PP_MAGIC ||
        h.version != CD_PP_VERSION || h.n > CD_PP_CAP)
        return false;
    cd_pp_entry e[64];
    uint64_t off = pc - base;
    for (uint32_t i = 0; i < h.n; i += 64) {
        uint32_t k = h.n - i < 64 ? h.n - i : 64;
        if (rd(arg, base + CD_PP_HDR_OFF + CD_PP_HEAD + (uint64_t)i * sizeof *e, e, k * sizeof *e) < 0)
            return false;
        for (uint32_t j = 0; j < k; j++)
            if (off >= e[j].off && off < (uint64_t)e[j].off + e[j].len) {
                out->base = base;
                out->head = h;
                out->e = e[j];
                return true;
            }
    }
    return false;
}

/* The entry of the shadow stack at sb whose slot is `slot`: its real return address, else 0. */
static uint64_t in_stack(cd_pp_read_fn rd, void *arg, const cd_pp_head *h, uint64_t sb, uint64_t slot)
{
    uint64_t hdr[2];
    if (rd(arg, sb, hdr, sizeof hdr) < 0 || hdr[0] == 0 || hdr[0] == UINT64_MAX)
        return 0;
    for (uint64_t i = hdr[1] > h->sh_depth ? h->sh_depth : hdr[1]; i-- > 0;) {
        uint64_t ent[4];
        if (rd(arg, sb + 32 + i * 32, ent, sizeof ent) == 0 && ent[0] == slot)
            return ent[1];
    }
    return 0;
}

uint64_t cd_pp_real_return(cd_pp_read_fn rd, void *arg, const cd_pp_head *h, pid_t tid, uint64_t slot)
{
    if (!h->shadow || !h->sh_n || (h->sh_n & (h->sh_n - 1)) || h->sh_size < 64 || h->sh_n > (1u << 16))
        return 0;
    /* TID's own stack: the chain from TID % sh_n up to a never-used stack */
    for (uint32_t k = 0, i = (uint32_t)tid & (h->sh_n - 1); k < h->sh_n; k++, i = (i + 1) & (h->sh_n - 1)) {
        uint64_t sb = h->shadow + (uint64_t)i * h->sh_size, owner;
        if (rd(arg, sb, &owner, sizeof owner) < 0 || owner == 0)
            break;
        if (owner == (uint64_t)(uint32_t)tid) {
            uint64_t r = in_stack(rd, arg, h, sb, slot);
            if (r)
                return r;
            break;
        }
    }
    for (uint32_t i = 0; i < h->sh_n; i++) {
        uint64_t r = in_stack(rd, arg, h, h->shadow + (uint64_t)i * h->sh_size, slot);
        if (r)
            return r;
    }
    return 0;
}
