/* Values test program: globals and locals of every kind the value printer handles.
 *
 * main -> outer_fn -> middle -> leaf; leaf blocks in pause(). A helper thread sets its own
 * t_counter (TLS) to 7, waits until the main thread is blocked in pause(), prints "ready" and
 * blocks too. Tests attach (live) or use a core made by SIGABRT after "ready" (same values).
 * Locals are kept alive across the blocking call with empty asm statements, so even -O2 keeps
 * them in callee-saved registers or on the stack (tests check caller frames' registers). */
#include "../spine/spine_ready.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

enum color { RED, GREEN = 5, BLUE };
enum flags { F_A = 1, F_B = 2, F_C = 4 };
enum neg { MINUS_ONE = -1, ZERO = 0 };

struct point { int x; int y; };
struct bits { unsigned int u3 : 3; int s4 : 4; _Bool b : 1; unsigned int rest : 24; };
union num { int i; float f; unsigned char bytes[4]; };
struct anon {
    int tag;
    union { int ival; float fval; };
    struct { short lo, hi; };
};
typedef struct node { int value; struct node *next; } node_t;
struct fam { int n; int data[]; };
typedef unsigned long ulong_t;
typedef int (*binop_fn)(int, int);
struct outer {
    struct point pts[2];
    const char *name;
    enum color c;
    struct bits bf;
    union num u;
    binop_fn op;
    struct outer *self;
};

int add(int a, int b) { return a + b; }

int g_int = -42;
unsigned int g_uint = 4000000000u;
long g_long = -1234567890123L;
unsigned long g_ulong = 18446744073709551615UL;
long long g_llong = -9223372036854775807LL - 1;
short g_short = -7;
unsigned short g_ushort = 65535;
char g_char = 'A';
signed char g_schar = -5;
unsigned char g_uchar = 200;
_Bool g_bool = 1;
float g_float = 1.5f;
double g_double = 3.14;
long double g_ldouble = 2.5L;
__int128 g_i128 = ((__int128)1 << 100) + 7;
unsigned __int128 g_u128 = ~(unsigned __int128)0;
const int g_const = 7;
volatile int g_volatile = 8;
ulong_t g_typedef = 123;

int *g_ptr = &g_int;
int *g_null = 0;
char *g_str = "hello\n\"world\"";
const char *g_cstr = "const";
void *g_voidp = &g_double;
int (*g_fp)(int, int) = add;
binop_fn g_fp_typedef = add;

int g_arr[5] = {1, 2, 3, 4, 5};
int g_matrix[2][3] = {{1, 2, 3}, {4, 5, 6}};
char g_buf[16] = "hi";
unsigned char g_bytes[4] = {0xff, 0x80, 0x41, 0};
char g_latin[4] = {'a', (char)0xe9, 'z', 0};
int g_zeros[100];
int g_big[300];
char g_long_str[300];

struct point g_pt = {3, -4};
struct bits g_bits = {5, -3, 1, 1000};
union num g_num = {.i = 0x3fc00000};
struct anon g_anon = {.tag = 1, .ival = 77, .lo = -2, .hi = 9};
enum color g_color = GREEN;
enum flags g_flags = F_A | F_C;
enum color g_badcolor = (enum color)17;
enum neg g_neg = MINUS_ONE;
node_t g_n1, g_n2, g_n3;
node_t *g_list = &g_n1;
struct fam *g_fam;
struct outer g_outer;
struct point g_pts[3] = {{1, 2}, {3, 4}, {5, 6}};

static int s_static = 5;
volatile int g_stop;
__thread int t_counter = 99;

static _Atomic pid_t main_tid;

__attribute__((noinline)) static int leaf(int depth, const char *tag)
{
    volatile int leaf_local = depth * 10;
    volatile struct point lp = {depth, -depth};
    atomic_store(&main_tid, spine_gettid());
    /* g_stop is never set: the loop must look finite, or gcc treats leaf as noreturn and drops
     * everything its callers do after the call (and with it their variables' locations). */
    while (!g_stop) {
        pause();
        __asm__ volatile("" ::"r"(depth), "r"(tag) : "memory");
    }
    return leaf_local + lp.x;
}

__attribute__((noinline)) static int middle(int a, double d, struct point p)
{
    /* Computed from a volatile so -O2 cannot fold them; used after the call through "r" asm
     * operands, so they live in callee-saved registers across it (the unwinder must recover them). */
    int local_mid = a * g_volatile;
    int r = 0;
    {
        int inner = local_mid + 100;
        r = leaf(a + 1, "leaf");
        __asm__ volatile("" ::"r"(inner), "r"(local_mid), "x"(d), "r"(p.x), "r"(p.y) : "memory");
        r += inner;
    }
    return r + local_mid + (int)d + p.x;
}

__attribute__((noinline)) static int outer_fn(int n, const char *label, struct point *pp)
{
    long total = n * 1000L + g_volatile;
    int r = 0;
    r = middle(n + 1, 2.75, *pp);
    __asm__ volatile("" ::"r"(total), "r"(label), "r"(pp) : "memory");
    return r + (int)total;
}

static void *helper(void *arg)
{
    (void)arg;
    t_counter = 7;
    static const spine_expect in_pause = {{SYS_pause, SYS_ppoll, -1}, 0, 0};
    spine_wait_blocked(&main_tid, &in_pause, "main in pause");
    spine_say_ready();
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    g_n1 = (node_t){1, &g_n2};
    g_n2 = (node_t){2, &g_n3};
    g_n3 = (node_t){3, &g_n1}; /* a cycle: printing must terminate */
    g_fam = malloc(sizeof *g_fam + 3 * sizeof(int));
    g_fam->n = 3;
    for (int i = 0; i < 3; i++)
        g_fam->data[i] = 10 * (i + 1);
    for (int i = 0; i < 300; i++)
        g_big[i] = i;
    memset(g_long_str, 'x', sizeof g_long_str - 1);
    g_outer = (struct outer){{{1, 2}, {3, 4}}, "outer", BLUE, {1, -1, 0, 42}, {.i = 65}, add, &g_outer};
    s_static += g_volatile;
    struct point start = {10, 20};
    pthread_t th;
    if (pthread_create(&th, NULL, helper, NULL) != 0)
        return 1;
    return outer_fn(1, "main-label", &start);
}
