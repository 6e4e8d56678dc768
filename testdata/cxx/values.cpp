/* C++ values as gdb prints them (tests/integration/values/values_cxx.sh): base classes, members
 * of bases through `this` and implicitly, references, static members, `ns::name` and
 * `Class::member` in expressions, enum classes, and ptype of classes with bases, methods and
 * references. The program stops in zoo_stop(), called from zoo::Dog::bark. */
#include <cstdio>

extern "C" __attribute__((noinline)) int zoo_stop(int v)
{
    __asm__ volatile("" ::: "memory");
    return v + 1;
}

namespace zoo {
enum class Color : int { Red, Green = 5, Blue };
enum Plain { P0, P1 = 4 };
int answer = 42;

struct Animal {
    int legs = 4;
    static int count;
    int speak(int x) const { return legs + x; }
};
int Animal::count = 3;

struct Named {
    const char *name = "rex";
    short tag = -2;
};

class Dog : public Animal, public Named {
public:
    explicit Dog(int &r) : ref(r) {}
    int bark(int n);
    int bark(int n, const int &k) { return n + k + ref; }
    int &ref;
    Color color = Color::Blue;
    Plain plain = P1;
    double weight = 12.5;
    static long registry;
};
long Dog::registry = -77;

int Dog::bark(int n)
{
    const int &lref = n;
    Color c = Color::Red;
    return zoo_stop(n + lref + legs + this->legs + ref + (int)c + (int)color + count + Dog::registry);
}
} // namespace zoo

int main()
{
    int target = 5;
    zoo::Dog d(target);
    zoo::Dog &dref = d;
    zoo::Animal *ap = &d;
    int r = dref.bark(2) + d.bark(1, target) + ap->speak(1);
    printf("%d %d\n", r, zoo::answer);
    return 0;
}
