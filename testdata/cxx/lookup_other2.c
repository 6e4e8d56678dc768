/* A second unit of lookup_other: statics named like the program's globals and members. */
static const char *name = "the library's static name";
static int g_count = 1000;

const char *other_name(void)
{
    return g_count ? name : "";
}
