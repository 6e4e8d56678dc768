/* Built with -g0 (see meson.build): code without line info that step must step over, and one
 * function that calls back into code with line info (a step over nd_apply does not stop there). */
#include "step.h"

NOIPA int nd_triple(int x)
{
    return 3 * x;
}

NOIPA int nd_apply(int (*cb)(int), int x)
{
    return cb(x) * 2;
}
