#include "output/output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

void cd_out_init(cd_out *o, bool json)
{
    o->json = json;
    o->fp = stdout;
    o->errfp = stderr;
}

void cd_out_printf(cd_out *o, const char *fmt, ...)
{
    if (o->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->fp, fmt, ap);
    va_end(ap);
}

void cd_out_json(cd_out *o, json_object *obj)
{
    if (o->json) {
        fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), o->fp);
        fputc('\n', o->fp);
        fflush(o->fp);
    }
    json_object_put(obj);
}

void cd_out_error(cd_out *o, const char *cmd, const char *msg)
{
    if (o->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", cd_json_str_or_null(cmd));
        json_object_object_add(j, "error", json_object_new_string(msg));
        cd_out_json(o, j);
    } else {
        fflush(o->fp);
        fprintf(o->errfp, "cdbg: %s\n", msg);
        fflush(o->errfp);
    }
}

void cd_out_warn(cd_out *o, const char *fmt, ...)
{
    fflush(o->fp);
    va_list ap;
    va_start(ap, fmt);
    fputs("warning: ", o->errfp);
    vfprintf(o->errfp, fmt, ap);
    fputc('\n', o->errfp);
    va_end(ap);
    fflush(o->errfp);
}

json_object *cd_json_u64(uint64_t v) { return json_object_new_uint64(v); }

json_object *cd_json_hex(uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "0x%" PRIx64, v);
    return json_object_new_string(b);
}

json_object *cd_json_str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }
