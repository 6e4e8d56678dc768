/* Virtual base classes as gdb prints them (tests/integration/values/values_cxxvbase.sh): a diamond
 * (Left and Right share one virtual Base), a class deriving from it, and a pointer to it through a
 * base. The program stops in vb_probe(), called from geo::Plain::probe() (members of the virtual
 * base used implicitly through `this`), then in vb_stop(), called from main. */
#include <cstdio>

extern "C" __attribute__((noinline)) int vb_stop(int v)
{
    __asm__ volatile("" ::: "memory");
    return v + 1;
}

extern "C" __attribute__((noinline)) int vb_probe(int v)
{
    __asm__ volatile("" ::: "memory");
    return v - 1;
}

namespace geo {
struct Base {
    int id = 7;
    long serial = 1001;
    virtual ~Base() {}
};
struct Left : virtual Base {
    int lx = 11;
};
struct Right : virtual Base {
    short ry = -12;
};
struct Diamond : Left, Right {
    double dz = 2.5;
};
struct Plain : Diamond {
    int extra = 99;
    __attribute__((noinline)) int probe() { return vb_probe(id + (int)serial + lx + extra); }
};
} // namespace geo

int main()
{
    geo::Diamond d;
    d.id = 21;
    geo::Plain p;
    p.serial = 4242;
    geo::Left *lp = &d;
    geo::Right *rp = &p;
    geo::Base *bp = &d;
    geo::Diamond *dp = &d;
    int r = vb_stop(d.id + lp->lx + rp->ry + (int)bp->serial + dp->lx + p.extra + p.probe());
    printf("%d\n", r);
    return 0;
}
