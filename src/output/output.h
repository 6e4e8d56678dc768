/* Output sink: human text or one JSON object per line (--json).
 *
 * Every command produces exactly one JSON object in --json mode (json-c, so int64/uint64 are
 * exact). Text goes to stdout; errors are one line on stderr in text mode and
 * {"command": C, "error": MSG} on stdout in JSON mode, so a JSON consumer reads one stream. */
#ifndef CD_OUTPUT_H
#define CD_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "util/util.h"

typedef struct cd_out {
    bool json;
    FILE *fp;     /* stdout */
    FILE *errfp;  /* stderr */
} cd_out;

void cd_out_init(cd_out *o, bool json);
/* Text-mode output; ignored in JSON mode. */
void cd_out_printf(cd_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints obj as one line (JSON mode only; ignored in text mode) and releases it. */
void cd_out_json(cd_out *o, json_object *obj);
/* A failed command: text "cdbg: MSG" on stderr, or {"command": CMD, "error": MSG}. */
void cd_out_error(cd_out *o, const char *cmd, const char *msg);
/* A warning or note that does not fail the command: "warning: ..." on stderr in both modes. */
void cd_out_warn(cd_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* json-c helpers: exact 64-bit integers and "0x..." addresses. */
json_object *cd_json_u64(uint64_t v);
json_object *cd_json_hex(uint64_t v);
json_object *cd_json_str_or_null(const char *s);

#endif
