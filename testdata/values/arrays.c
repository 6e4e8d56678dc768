/* Arrays as gdb prints them (issue 13): char arrays with embedded NULs, runs of one character
 * below, at and above gdb's repeats threshold (10), longer than `print elements` (200), and arrays
 * of other element types with runs. Every case is a global, printed at main: the test
 * (tests/integration/values/values_arrays.sh) prints each with cdbg and gdb and compares. */
#include <string.h>

char zero256[256];
char abc16[16] = "abc";
char hello5[5] = {'h', 'e', 'l', 'l', 'o'};
char hi32[32] = "hi";
char emb16[16] = "hello\0\0\0world";
char emb_one[8] = "ab\0cd";
char rep9[12] = "aaaaaaaaab";
char rep10[13] = "aaaaaaaaaab";
char rep11[14] = "aaaaaaaaaaab";
char seg40[40] = "abcxxxxxxxxxxxxxxxdef";
char seg_end[20] = "abcyyyyyyyyyyyyyyyy";
char rep_start[24] = "zzzzzzzzzzzzzzzzzzzzabc";
char nonul_rep[30];
char esc[12] = "\n\t\"\\\x7f\xff'e";
char long300[300];
char long_rep[300];
char limit_cross[260];
char exactly200[200];
char cross_short[220];
char exactly201[201];
char zeros_then[40];
char mixed_nul[40];
char empty1[1];
unsigned char uc12[12] = {1, 2, 3, 'a', 'b', 0, 0, 200, 255};
signed char sc8[8] = "sc";
char names[3][8] = {"ab", "cde", ""};
char names_rep[2][20] = {"qqqqqqqqqqqqqqqq", ""};
int zeros16[16];
int i12[16] = {1, 2};
int rep_at10[12] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1, 2};
int rep_at11[12] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2};
int mid_runs[30] = {1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5};
int big300[300];
int big_runs[400];
long l20[20] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3};
double d12[12];
int m3[3][20];
struct withbuf {
    int id;
    char name[24];
    int vals[14];
} wb = {5, "rec", {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}};
struct withbuf wbs[2];
const char *pointer_to_emb = emb16;

int main(void)
{
    memset(nonul_rep, 'r', sizeof nonul_rep);
    for (int i = 0; i < 300; i++)
        long300[i] = (char)('a' + i % 26);
    memset(long_rep, 'L', sizeof long_rep);
    for (int i = 0; i < 260; i++)
        limit_cross[i] = (char)(i >= 190 && i < 215 ? 'Q' : 'a' + i % 23);
    for (int i = 0; i < 200; i++)
        exactly200[i] = exactly201[i] = (char)('A' + i % 26);
    for (int i = 0; i < 220; i++)
        cross_short[i] = (char)(i >= 195 && i < 203 ? 'x' : 'a' + i % 19);
    memset(zeros_then + 20, 'w', 5);
    for (int i = 0; i < 40; i++)
        mixed_nul[i] = (char)(i % 3 ? 'm' : 0);
    for (int i = 0; i < 300; i++)
        big300[i] = i;
    for (int i = 0; i < 400; i++)
        big_runs[i] = i < 50 ? 0 : i < 60 ? i : i < 300 ? 8 : i;
    d12[3] = 1.5;
    m3[1][5] = 4;
    strcpy(wbs[1].name, "second");
    return emb16[0] + pointer_to_emb[1] + zero256[3] + names[0][0] + hi32[0]; /* @arrays */
}
