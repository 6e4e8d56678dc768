/* The program of tests/integration/info: exits with the status argv[1] says, or dies of SIGSEGV
 * at a null-page write ("segv"); its wchar_t arrays and pointer are printed as gdb prints them
 * (L"...", runs of one character as <repeats N times>, escapes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>
#include <wchar.h>

wchar_t w_plain[] = L"hello";
wchar_t w_rep[32] = L"xaaaaaaaaaaaaaaaaaaaaaab";
wchar_t w_esc[] = L"tab\there\n\"q\"\\ \u00e9\u4e2d";
wchar_t w_empty[4];
wchar_t w_nul[] = L"a\0b";
const wchar_t *w_ptr = L"pointer";
char16_t u_16[] = u"sixteen\u00e9";
char32_t u_32[8] = U"32";

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "segv")) {
        volatile int *p = (volatile int *)(uintptr_t)strlen(argv[1]); /* 4: in the null page */
        *p = 1; /* @segv */
    }
    int code = argc > 1 ? atoi(argv[1]) : 0;
    return code + (w_plain[0] == 0) + (u_16[0] == 0) + (u_32[0] == 0); /* @exit */
}
