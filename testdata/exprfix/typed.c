/* Values gcc -O2 describes with typed DWARF operations (DW_OP_deref_type, DW_OP_convert,
 * DW_OP_const_type and arithmetic on floating values): the variables below are never stored, so
 * their locations compute them from the argument. tests/integration/values/values_typed.sh. */
#include <stdio.h>

struct P {
    int x;
    float y;
};

__attribute__((noinline)) void f(struct P *p, int n)
{
    __attribute__((unused)) double ratio = p->y / 3.0;
    __attribute__((unused)) double twice = n * 2.5;
    __attribute__((unused)) float neg = -p->y;
    __attribute__((unused)) double sum = (double)p->y + n;
    __attribute__((unused)) long scaled = (long)n * 3;
    __attribute__((unused)) int smaller = p->y < n;
    printf("%d\n", n);
    printf("%d\n", p->x);
}

int main(void)
{
    struct P p = {1, 2.5f};
    f(&p, 4);
    p.y = -7.25f;
    f(&p, -3);
    return 0;
}
