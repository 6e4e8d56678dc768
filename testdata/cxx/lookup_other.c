/* The library of lookup.cpp: names that clash with the program's. */
int limit = 500;
volatile int other_sink;

int id(void)
{
    return 42;
}

int other_stop(int v)
{
    other_sink = v;
    return v + 1;
}
