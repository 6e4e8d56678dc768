/* wchar_t, char16_t and char32_t strings (issue 13): gdb prints L"..", u"..", U"..".
 * tests/integration/values/values_habits.sh. */
#include <uchar.h>
#include <wchar.h>
const wchar_t *ws = L"wide string";
const char16_t *s16 = u"sixteen";
const char32_t *s32 = U"thirty-two";
const wchar_t *wnull = 0;
int main(void)
{
    return (ws[0] == 0) + (s16[0] == 0) + (s32[0] == 0) + (wnull != 0);
}
