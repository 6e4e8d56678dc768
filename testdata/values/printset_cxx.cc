// C++ values for gdb's print settings (tests/integration/values/print_*.sh): base classes, static
// members, a virtual class, nested objects and arrays of them. The tests stop in stop_here and print
// the globals (built by g++ -O0 and clang++ -O2).
#include <cstdio>

namespace shapes {
struct Base {
    int id;
    static int count;
};
int Base::count = 3;
struct Named : Base {
    const char *name;
    double weight;
    static const int limit = 8;
};
struct Poly {
    virtual ~Poly() {}
    virtual int area() const { return side * side; }
    int side;
};
struct Square : Poly {
    int area() const override { return side * side * 1; }
    int colour;
};
struct Holder {
    Named first;
    Named pair[2];
    union { float real; int raw; } cell;
};
} // namespace shapes

shapes::Named named = {{5}, "widget", 1.5};
shapes::Holder holder = {{{1}, "one", 1.0}, {{{2}, "two", 2.0}, {{3}, "three", 3.0}}, {7}};
shapes::Square sq;
shapes::Poly *poly = &sq;

__attribute__((noinline)) void stop_here() { __asm__ volatile("" ::: "memory"); }

int main()
{
    sq.side = 4;
    sq.colour = 2;
    stop_here();
    std::printf("%d %d %d\n", poly->area(), named.id, shapes::Named::limit);
    return 0;
}
