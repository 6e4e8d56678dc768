/* Threads, a function pointer, a loop gcc unrolls: at -O2 the last lines of main have only
 * non-statement rows, where gdb 13 sets no breakpoint (tests/integration/sym/linebp.sh). */
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <stdlib.h>

struct pt { int x; int y; unsigned flag:3; unsigned other:5; };
int g_counter;
struct pt g_pt = {1, 2, 3, 4};
char g_line[256] = "hello";
char g_arr129[129];
short g_arr65536[65536];

static int square(int v)
{
	int r = v * v;
	return r;
}

int fact(int n)
{
	if (n <= 1)
		return 1;
	return n * fact(n - 1);
}

static void *worker(void *arg)
{
	for (int i = 0; i < 5; i++)
		g_counter += (int)(long)arg;
	return NULL;
}

int (*fp)(int) = fact;

int main(void)
{
	char line[256];
	int total = 0;
	strcpy(line, "local line");
	for (int i = 0; i < 3; i++)
		total += square(i);
	total += fp(4);
	printf("total=%d %s\n", total, line);
	pthread_t t[2];
	for (long k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, worker, (void *)(k + 1));
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	g_pt.x = total;
	printf("counter=%d\n", g_counter);
	return 0;
}
