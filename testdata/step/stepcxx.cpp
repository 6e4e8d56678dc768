// Stepping test program in C++ (issue 11): the calls C++ adds that a line does not show. main walks
// through them once and exits 0; each line a test checks ends in a marker comment `// @name`.
//   a constructor, a member function, a virtual call, a template instance, a lambda, an operator,
//   a destructor run at the closing brace of a scope, an exception thrown in a callee and caught
//   in the caller (next over the throwing call stops in the handler, as gdb does).
#include <stdexcept>

#include "step.h"

volatile int g_in = 5;
volatile int g_sink;

struct Shape { // @shape_decl
    virtual ~Shape() {} // @shape_dtor
    virtual int area() const = 0;
};

struct Square : Shape {
    int side;
    explicit Square(int s) : side(s) // @sq_ctor
    { // @sq_ctor_open
        g_sink = s; // @sq_ctor_body
    } // @sq_ctor_end
    ~Square() override
    { // @sq_dtor_open
        g_sink = 0; // @sq_dtor_body
    } // @sq_dtor_end
    NOIPA int area() const override
    {
        return side * side; // @sq_area
    } // @sq_area_end
    NOIPA Square &operator+=(int d)
    {
        side += d;    // @sq_pluseq
        return *this; // @sq_pluseq_ret
    } // @sq_pluseq_end
};

template <typename T> NOIPA T biggest(T a, T b)
{
    return a > b ? a : b; // @tmpl_body
} // @tmpl_end

NOIPA int area_of(const Shape &s)
{
    return s.area(); // @virt_call
} // @virt_end

NOIPA int thrower(int x)
{
    if (x > 0)                               // @throw_if
        throw std::runtime_error("positive"); // @throw_throw
    return x;                                // @throw_ret
}

NOIPA int catcher(int x)
{
    try {
        return thrower(x); // @catch_call
    } catch (const std::exception &) {
        return -1; // @catch_handler
    }
} // @catch_end

NOIPA int scoped(int x)
{
    int r;
    {
        Square sq(x);   // @scoped_ctor
        sq += 1;        // @scoped_op
        r = area_of(sq); // @scoped_area
    } // @scoped_close
    return r; // @scoped_ret
} // @scoped_end

int main()
{
    int r = scoped(g_in);                     // @main_scoped
    r += biggest(r, int(g_in));               // @main_tmpl
    auto add = [&r](int v) { return r + v; }; // @main_lambda_def
    r = add(g_in);                            // @main_lambda_call
    r += catcher(g_in);                       // @main_catch
    g_sink = r;                               // @main_sink
    return 0;                                 // @main_ret
} // @main_end
