/* Values for gdb's print settings (tests/integration/values/print_*.sh): nested structs, unions,
 * arrays of structs, long strings, runs, pointers to data and functions. The tests stop in
 * stop_here, once main has filled longstr, and print the globals (built by gcc -O0 and clang -O2). */
#include <stdio.h>
#include <string.h>

struct point { int x, y; };
struct inner { int a; char tag[8]; struct point pts[2]; };
struct outer {
    int id;
    struct inner in;
    union { int i; float f; } u;
    struct point *next;
    const char *name;
    int (*fn)(int);
};
union number { int i; unsigned char bytes[4]; struct point p; };
struct deep { struct { struct { struct { int z; } c; } b; } a; int top; };

int square(int v) { return v * v; }

struct point pts[3] = {{1, 2}, {3, 4}, {5, 6}};
struct outer obj = {7, {1, "abc", {{10, 20}, {30, 40}}}, {.f = 1.5}, &pts[1], "objname", square};
union number num = {.i = 0x01020304};
struct deep dp = {{{{42}}}, 9};
int ints[30] = {1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9};
int small[5] = {5, 5, 5, 5, 5};
char longstr[300];
char nulbuf[16] = "ab\0cd";
const char *msg = "hello, world";
const char *nullp = 0;
int *ip = &ints[2];
int (*fnp)(int) = square;
char ch = 'q';
unsigned long big = 18446744073709551615UL;
long long neg = -5;
double dbl = 2.5;
int matrix[2][3] = {{1, 2, 3}, {4, 5, 6}};

__attribute__((noinline)) void stop_here(void) { __asm__ volatile("" ::: "memory"); }

int main(void)
{
    memset(longstr, 'x', 250);
    memcpy(longstr + 250, "tail of the string", 18);
    stop_here();
    printf("%d %s %c\n", fnp(ints[0]) + obj.fn(2) + *ip, msg, ch);
    return 0;
}
