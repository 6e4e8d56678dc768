/* Shared by the stepping programs. NOIPA: -O2 keeps the function's frame, its exact name (no
 * .constprop/.isra clone) and every call to it; clang has no noipa, and noinline is enough there
 * for functions whose address escapes or that other files call. */
#if defined(__clang__)
#define NOIPA __attribute__((noinline))
#else
#define NOIPA __attribute__((noipa))
#endif

/* nodebug.c, compiled without debug info (see meson.build) */
#ifdef __cplusplus
extern "C" {
#endif
int nd_triple(int x);
int nd_apply(int (*cb)(int), int x);
#ifdef __cplusplus
}
#endif
