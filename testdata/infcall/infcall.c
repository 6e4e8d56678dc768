/* Functions the debugger calls (tests/integration/infcall/): every argument class of the SysV
 * x86-64 ABI a user passes, struct returns small and large, a callee that hits a breakpoint, one
 * that faults, and a main thread that waits inside nanosleep or read (argv[1]: "sleep", "read"). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct small { int a, b; };
struct pt { double x, y; };
struct big { long v[5]; };
struct ops { int (*fn)(int); int k; };

int g_counter = 0;
int g_arr[4] = {1, 2, 3, 4};

__attribute__((noinline)) int add(int a, int b) { return a + b; }
__attribute__((noinline)) int twice(int x) { return 2 * x; }
__attribute__((noinline)) long mul3(long a, long b, long c) { return a * b * c; }
__attribute__((noinline)) double half(double x) { return x / 2; }
__attribute__((noinline)) float fscale(float x, int k) { return x * (float)k; }
__attribute__((noinline)) double mix(int a, double b, int c, float d) { return a + b * c + d; }
__attribute__((noinline)) long sum8(long a, long b, long c, long d, long e, long f, long g, long h)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}
__attribute__((noinline)) double dsum10(double a, double b, double c, double d, double e, double f, double g,
                                        double h, double i, double j)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j;
}
__attribute__((noinline)) long mixed9(int a, double b, long c, float d, int e, double f, long g, int h, long i)
{
    return (long)(a + b * 10 + c * 100 + d * 1000 + e * 3 + f * 7 + g * 11 + h * 13 + i * 17);
}
__attribute__((noinline)) int count_chars(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}
__attribute__((noinline)) bool is_even(int x) { return x % 2 == 0; }
__attribute__((noinline)) char next_char(char c) { return (char)(c + 1); }
__attribute__((noinline)) short neg_short(short s) { return (short)-s; }
__attribute__((noinline)) unsigned char low_byte(unsigned x) { return (unsigned char)x; }
__attribute__((noinline)) const char *greeting(void) { return "hello, cdbg"; }
__attribute__((noinline)) int *arr_at(int i) { return &g_arr[i]; }
__attribute__((noinline)) void bump(int n) { g_counter += n; }
__attribute__((noinline)) struct small mk_small(int a, int b)
{
    struct small s = {a, b};
    return s;
}
__attribute__((noinline)) struct pt mk_pt(double x, double y)
{
    struct pt p = {x, y};
    return p;
}
__attribute__((noinline)) struct big mk_big(long base)
{
    struct big b;
    for (int i = 0; i < 5; i++)
        b.v[i] = base + i;
    return b;
}
__attribute__((noinline)) int deref(int *p) { return *p + 1; }
__attribute__((noinline)) int stop_in(int x)
{
    int y = x * 3;
    return y + 1;
}
__attribute__((noinline)) int spin(long n)
{
    volatile long i = 0;
    while (i < n)
        i++;
    return (int)i;
}

struct ops g_ops = {twice, 7};
struct ops *gp = &g_ops;

__attribute__((noinline)) int work(int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += add(i, g_counter);
    return total; /* the tests stop here */
}

/* structs passed by value: in registers by eightbyte class, or on the stack */
struct small g_small = {5, 6};
struct pt g_pt = {3, 4};
struct big g_big = {{1, 2, 3, 4, 5}};
struct mixed { long id; double w; };
struct mixed g_mixed = {7, 0.25};
__attribute__((noinline)) int sum_small(struct small s) { return s.a * 10 + s.b; }
__attribute__((noinline)) double pt_len2(struct pt p) { return p.x * p.x + p.y * p.y; }
__attribute__((noinline)) long big_sum(struct big b) { return b.v[0] + 2 * b.v[1] + 3 * b.v[2] + 4 * b.v[3] + 5 * b.v[4]; }
__attribute__((noinline)) double mixed_val(int k, struct mixed m, struct big b, double z)
{
    return k + (double)m.id * m.w + (double)b.v[4] + z;
}
__attribute__((noinline)) struct small swap_small(struct small s)
{
    struct small r = {s.b, s.a};
    return r;
}
/* six integer registers used first: the struct goes to the stack although it would fit two */
__attribute__((noinline)) long late_small(long a, long b, long c, long d, long e, struct small s)
{
    return a + b + c + d + e + s.a * 100 + s.b;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "sleep")) {
        printf("ready\n");
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "read")) {
        printf("ready\n");
        char b[16];
        ssize_t n = read(0, b, sizeof b);
        printf("read %zd\n", n);
        return 0;
    }
    int r = work(4);
    printf("work %d counter %d\n", r, g_counter);
    return 0;
}
