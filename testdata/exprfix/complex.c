/* C99 complex numbers (issue 13): cdbg printed `{}`; gdb prints `1 + 2i`.
 * tests/integration/values/values_complex.sh. */
#include <complex.h>
#include <stdio.h>
double complex gdc = 1.0 + 2.0 * I;
float complex gfc = 3.5f - 4.0f * I;
long double complex gldc = -0.25L + 1e10L * I;
__attribute__((noinline)) double complex twice(double complex z)
{
    double complex r = z * 2.0;
    printf("%g\n", creal(r));
    return r;
}
int main(void)
{
    double complex ldc = 5.0 - 6.5 * I;
    float complex lfc = 0.0f;
    twice(ldc + gdc);
    printf("%g %g %Lg\n", cimag(ldc), crealf(lfc + gfc), creall(gldc));
    return 0;
}
